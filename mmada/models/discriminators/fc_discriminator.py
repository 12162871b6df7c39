"""Fully convolutional domain discriminators on (C, H, W) output-space maps."""
from typing import Sequence

from torch import Tensor, nn

from mmada.registry import MODELS


@MODELS.register_module()
class FCDiscriminator(nn.Module):
    """Fully convolutional discriminator of AdaptSegNet / AdvEnt.

    Tsai et al., "Learning to Adapt Structured Output Space for Semantic
    Segmentation", CVPR 2018, Sec. 3.3 (also AdvEnt, Vu et al., CVPR 2019,
    Sec. 4): convolutions with 4x4 kernels, stride 2 and padding 1, channels
    ``in_channels -> 64 -> 128 -> 256 -> 512 -> 1``, each but the last
    followed by a LeakyReLU of slope 0.2. It returns one logit per location
    of a 1/32-resolution grid (the domain of that receptive field).

    Args:
        in_channels: Channels of the input map (the number of classes).
        channels: Output channels of the hidden convolutions.
        kernel_size: Kernel of the hidden convolutions (stride 2, padding 1).
        activations: ``'leaky_relu'`` or ``'relu'`` after each hidden
            convolution (one per entry of ``channels``).
        classifier_kernel: Kernel of the last convolution (stride 2 when
            larger than 1, else stride 1).
        negative_slope: Slope of the LeakyReLU.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (64, 128, 256, 512),
                 kernel_size: int = 4,
                 activations: Sequence[str] = ('leaky_relu', ) * 4,
                 classifier_kernel: int = 4,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        if len(activations) != len(channels):
            raise ValueError(f'{type(self).__name__}: {len(channels)} hidden convolutions '
                             f'need as many activations, got {len(activations)}')
        unknown = [a for a in activations if a not in ('leaky_relu', 'relu')]
        if unknown:
            raise ValueError(f'{type(self).__name__}: unknown activations {unknown}; '
                             "use 'leaky_relu' or 'relu'")
        layers, prev = [], in_channels
        for out, act in zip(channels, activations):
            layers += [nn.Conv2d(prev, out, kernel_size, stride=2, padding=1),
                       nn.LeakyReLU(negative_slope, inplace=True) if act == 'leaky_relu'
                       else nn.ReLU(inplace=True)]
            prev = out
        stride, padding = (2, 1) if classifier_kernel > 1 else (1, 0)
        layers.append(nn.Conv2d(prev, 1, classifier_kernel, stride=stride, padding=padding))
        self.layers = nn.Sequential(*layers)
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        """(B, 1, h, w) domain logits of a (B, C, H, W) map."""
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} takes {self.in_channels} channels, '
                             f'got a map of shape {tuple(x.shape)}')
        return self.layers(x)


@MODELS.register_module()
class MADADiscriminator(FCDiscriminator):
    """Discriminator of MADA's AdaptSegNet warm-up (the CAG variant).

    Ning et al., "Multi-Anchor Active Domain Adaptation for Semantic
    Segmentation", ICCV 2021 / MADAv2, Sec. "Implementation details": 3x3
    convolutions with stride 2, channels 64-128-256-512, ReLU after the first
    three and a LeakyReLU(0.2) after the fourth. The papers' text lists a
    fifth 3x3 stride-2 convolution to 1 channel; the authors' code (CAG)
    ends with a 1x1 classifier, which is what this class does.

    Args:
        in_channels: Channels of the input map.
        **kwargs: Arguments of :class:`FCDiscriminator` to override.
    """

    def __init__(self, in_channels: int, **kwargs) -> None:
        defaults = dict(kernel_size=3, activations=('relu', 'relu', 'relu', 'leaky_relu'),
                        classifier_kernel=1)
        defaults.update(kwargs)
        super().__init__(in_channels, **defaults)
