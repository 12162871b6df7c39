from .aspp_v2 import ASPPV2Head

__all__ = ['ASPPV2Head']
