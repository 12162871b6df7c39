"""Batch normalisation with fixed statistics and affine parameters."""
import torch
from torch import Tensor, nn

from mmada.registry import MODELS


@MODELS.register_module('FrozenBN')
class FrozenBatchNorm2d(nn.Module):
    """``BatchNorm2d`` whose statistics and affine parameters never change.

    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`` with
    all four held as buffers (no parameters, no statistics update in training
    mode). Freshly built it is the identity up to ``eps`` (mean 0, variance
    1, weight 1, bias 0); loading a BatchNorm state dict fixes it at those
    statistics. The RIPU authors' DeepLab-v3+ head builds its norm layers
    like this, so their head is effectively unnormalised; use it as
    ``norm_cfg=dict(type='FrozenBN', eps=0.)`` (``build_norm_layer`` passes
    ``eps=1e-5`` unless told otherwise).

    Args:
        num_features: Number of channels.
        eps: Added to the variance.
    """
    _abbr_ = 'bn'

    def __init__(self, num_features: int, eps: float = 0.) -> None:
        super().__init__()
        if eps < 0:
            raise ValueError(f'FrozenBN: eps must be >= 0, got {eps}')
        self.eps = float(eps)
        self.register_buffer('weight', torch.ones(num_features))
        self.register_buffer('bias', torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` (B, C, H, W) with the fixed statistics."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale[None, :, None, None] + shift[None, :, None, None]
