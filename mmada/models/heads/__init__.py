from .aspp_v2 import ASPPV2Head
from .daformer_head import DAFormerHead
from .frozen_bn import FrozenBatchNorm2d

__all__ = ['ASPPV2Head', 'DAFormerHead', 'FrozenBatchNorm2d']
