from .base import SEGMENTOR_OUTPUTS, BaseDomainLoss

__all__ = ['BaseDomainLoss', 'SEGMENTOR_OUTPUTS']
