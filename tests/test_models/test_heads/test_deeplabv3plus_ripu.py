"""The RIPU authors' DeepLab-v3+ (``deeplabv3plus_r101_ripu.py``): frozen
head BatchNorm, their ASPP dilations, and the layer3 auxiliary head of both
v3+ bases (in_index 2 = layer3, 1024 channels at full width)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmada.models.heads import FrozenBatchNorm2d
from mmada.registry import MODELS
from tests.conftest import ROOT

BN = dict(type='BN', requires_grad=True)
# A narrow ResNet-18 (no ImageNet weights offline): layer1..4 have 16, 32,
# 64, 128 channels, so the layer3 classifier reads 64 channels.
TINY = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None, norm_cfg=BN, norm_eval=False),
    decode_head=dict(in_channels=128, channels=16, c1_in_channels=16, c1_channels=8))


def test_frozen_bn_hand_values():
    bn = FrozenBatchNorm2d(2)
    x = torch.tensor([1., -2.]).reshape(1, 2, 1, 1)
    assert torch.equal(bn(x), x)  # identity as built (eps = 0)
    assert list(bn.parameters()) == []
    bn.load_state_dict(dict(weight=torch.tensor([2., 1.]), bias=torch.tensor([0., 1.]),
                            running_mean=torch.tensor([1., 0.]),
                            running_var=torch.tensor([4., 1.])))
    bn.train()
    # (1 - 1) / 2 * 2 + 0 = 0 and (-2 - 0) / 1 * 1 + 1 = -1, in train mode too
    assert bn(x).flatten().tolist() == [0., -1.]
    with pytest.raises(ValueError):
        FrozenBatchNorm2d(2, eps=-1.)


def _model(base):
    init_default_scope('mmada')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models', base))
    cfg.merge_from_dict(dict(model=TINY))
    cfg.model.auxiliary_head = dict(cfg.layer3_aux_head, in_channels=64, dilations=(1, 2))
    return cfg, MODELS.build(cfg.model)


def test_authors_head_is_frozen_and_uses_their_dilations():
    cfg, model = _model('deeplabv3plus_r101_ripu.py')
    head = cfg.model.decode_head
    assert tuple(head.dilations) == (1, 6, 12, 18) and head.norm_cfg.type == 'FrozenBN'
    assert head.align_corners is True
    norms = [m for m in model.decode_head.modules() if isinstance(m, FrozenBatchNorm2d)]
    assert norms and all(m.eps == 1e-5 for m in norms)  # build_norm_layer's default
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.decode_head.modules())
    # Output stride 8 of the torchvision ResNet (deeplabv2_r101.py) it inherits.
    assert cfg.model.backbone.type == 'ResNet' and tuple(cfg.model.backbone.strides) == (1, 2, 1, 1)
    before = {k: v.clone() for k, v in model.decode_head.state_dict().items() if 'bn' in k}
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(2, 3, 64, 64)
    loss = model.decode_head(model.extract_feat(x)).square().mean()
    loss.backward()
    opt.step()
    after = model.decode_head.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())


@pytest.mark.parametrize('base', ['deeplabv3plus_r101.py', 'deeplabv3plus_r101_ripu.py'])
def test_v3plus_layer3_aux_head_reads_layer3(base):
    # in_index 0 would hand layer1 (16 channels) to a 64-channel classifier
    # and fail; index 2 is layer3.
    cfg, model = _model(base)
    assert cfg.layer3_aux_head.in_index == 2
    feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert feats[2].shape[1] == 64
    logits = model.auxiliary_head(feats)
    assert logits.shape == (1, 19, 8, 8)
