from .active_labels import LoadActiveLabels
from .online_oracle import LoadOracleLabels, PackOnlineSegInputs

__all__ = ['LoadActiveLabels', 'LoadOracleLabels', 'PackOnlineSegInputs']
