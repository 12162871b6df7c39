from .active_labels import LoadActiveLabels
from .online_oracle import LoadOracleLabels, PackOnlineSegInputs
from .sparse_resize import SparseLabelResize

__all__ = ['LoadActiveLabels', 'LoadOracleLabels', 'PackOnlineSegInputs', 'SparseLabelResize']
