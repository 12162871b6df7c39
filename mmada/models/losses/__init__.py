"""Extra losses a two-domain segmentor adds by config."""
from .base import SEGMENTOR_OUTPUTS, BaseDomainLoss
from .ripu_losses import (LocalConsistencyLoss, NegativeLearningLoss,
                          label_boundary_mask, local_consistency_loss,
                          negative_learning_loss, neighbour_mean)

__all__ = [
    'SEGMENTOR_OUTPUTS', 'BaseDomainLoss', 'NegativeLearningLoss',
    'LocalConsistencyLoss', 'negative_learning_loss', 'local_consistency_loss',
    'label_boundary_mask', 'neighbour_mean'
]
