from .adversarial import AdversarialSegmentor
from .two_domain import TwoDomainSegmentor

__all__ = ['AdversarialSegmentor', 'TwoDomainSegmentor']
