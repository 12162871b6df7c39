from .two_domain import TwoDomainSegmentor

__all__ = ['TwoDomainSegmentor']
