"""Discriminator layouts and output shapes."""
import pytest
import torch
from torch import nn

from mmada.models.discriminators import DiscriminatorBank, FCDiscriminator, MADADiscriminator


def test_advent_discriminator_layout_and_shape():
    d = FCDiscriminator(in_channels=19)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) and c.padding == (1, 1)
               for c in convs)
    acts = [m for m in d.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    assert len(acts) == 4 and all(isinstance(a, nn.LeakyReLU) and a.negative_slope == 0.2
                                  for a in acts)
    # 64x128 -> 32x64 -> 16x32 -> 8x16 -> 4x8 -> 2x4
    assert d(torch.randn(2, 19, 64, 128)).shape == (2, 1, 2, 4)


def test_mada_discriminator_layout_and_shape():
    d = MADADiscriminator(in_channels=19)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert [c.kernel_size for c in convs] == [(3, 3)] * 4 + [(1, 1)]
    acts = [type(m) for m in d.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    assert acts == [nn.ReLU, nn.ReLU, nn.ReLU, nn.LeakyReLU]
    # four stride-2 3x3 convs (padding 1), then the 1x1 classifier
    assert d(torch.randn(1, 19, 64, 128)).shape == (1, 1, 4, 8)


def test_bank_runs_every_level_and_checks_inputs():
    bank = DiscriminatorBank(dict(main=dict(type='FCDiscriminator', in_channels=3),
                                  aux=dict(type='MADADiscriminator', in_channels=3)))
    out = bank(dict(main=torch.randn(1, 3, 32, 32), aux=torch.randn(1, 3, 32, 32)))
    assert out['main'].shape == (1, 1, 1, 1) and out['aux'].shape == (1, 1, 2, 2)
    with pytest.raises(KeyError, match='levels'):
        bank(dict(main=torch.randn(1, 3, 32, 32)))
    with pytest.raises(ValueError, match='channels'):
        bank(dict(main=torch.randn(1, 4, 32, 32), aux=torch.randn(1, 3, 32, 32)))
    with pytest.raises(ValueError, match='activations'):
        FCDiscriminator(3, activations=('relu', ))
