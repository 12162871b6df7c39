from .aspp_v2 import ASPPV2Head
from .frozen_bn import FrozenBatchNorm2d

__all__ = ['ASPPV2Head', 'FrozenBatchNorm2d']
