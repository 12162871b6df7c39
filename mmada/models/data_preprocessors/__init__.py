from .multi_domain import MultiDomainDataPreProcessor

__all__ = ['MultiDomainDataPreProcessor']
