"""Extra losses a two-domain segmentor adds by config."""
from .adversarial import (BaseAlignment, EntropyAlignment, EntropyMinLoss,
                          SoftmaxAlignment, domain_bce, entropy_min_loss,
                          normalised_entropy, self_information_map)
from .base import ONLINE_OUTPUTS, SEGMENTOR_OUTPUTS, BaseDomainLoss
from .ripu_losses import (LocalConsistencyLoss, NegativeLearningLoss,
                          label_boundary_mask, local_consistency_loss,
                          negative_learning_loss, neighbour_mean)

__all__ = [
    'SEGMENTOR_OUTPUTS', 'ONLINE_OUTPUTS', 'BaseDomainLoss', 'NegativeLearningLoss',
    'LocalConsistencyLoss', 'negative_learning_loss', 'local_consistency_loss',
    'label_boundary_mask', 'neighbour_mean', 'BaseAlignment', 'SoftmaxAlignment',
    'EntropyAlignment', 'EntropyMinLoss', 'self_information_map', 'normalised_entropy',
    'entropy_min_loss', 'domain_bce'
]
