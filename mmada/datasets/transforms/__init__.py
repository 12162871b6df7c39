from .active_labels import LoadActiveLabels

__all__ = ['LoadActiveLabels']
