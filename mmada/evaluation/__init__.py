from .subset_metric import SubsetIoUMetric

__all__ = ['SubsetIoUMetric']
