"""Extra losses a two-domain segmentor adds by config."""
from .adversarial import (BaseAlignment, EntropyAlignment, EntropyMinLoss,
                          SoftmaxAlignment, domain_bce, entropy_min_loss,
                          normalised_entropy, self_information_map)
from .anchor_alignment import (SoftAnchorAlignmentLoss, anchor_distances, normalisation_pooling,
                               class_mean_vectors, ema_update_nearest, soft_anchor_loss)
from .base import ONLINE_OUTPUTS, SEGMENTOR_OUTPUTS, BaseDomainLoss
from .contrastive import (class_centres, confusion_counts, confusion_rates,
                          dccm_update, gather_points, sample_indices,
                          weighted_info_nce)
from .feature_distance import (ImageNetFeatureDistanceLoss, downscale_label_ratio,
                               masked_feature_distance)
from .mcu_contrastive import MultiLevelContrastiveLoss
from .ohem import OHEMCrossEntropyLoss, ohem_cross_entropy, ohem_kept_mask
from .pseudo_label import (PixelWeightedCELoss, PseudoLabelCELoss, pixel_weighted_ce,
                           pseudo_label_ce)
from .ripu_losses import (LocalConsistencyLoss, NegativeLearningLoss,
                          label_boundary_mask, local_consistency_loss,
                          negative_learning_loss, neighbour_mean)

__all__ = [
    'SEGMENTOR_OUTPUTS', 'ONLINE_OUTPUTS', 'BaseDomainLoss', 'NegativeLearningLoss',
    'LocalConsistencyLoss', 'negative_learning_loss', 'local_consistency_loss',
    'label_boundary_mask', 'neighbour_mean', 'BaseAlignment', 'SoftmaxAlignment',
    'EntropyAlignment', 'EntropyMinLoss', 'self_information_map', 'normalised_entropy',
    'entropy_min_loss', 'domain_bce', 'confusion_counts', 'confusion_rates', 'dccm_update',
    'weighted_info_nce', 'class_centres', 'sample_indices', 'gather_points',
    'MultiLevelContrastiveLoss', 'ImageNetFeatureDistanceLoss', 'downscale_label_ratio',
    'masked_feature_distance',
    'PseudoLabelCELoss', 'pseudo_label_ce', 'PixelWeightedCELoss', 'pixel_weighted_ce',
    'OHEMCrossEntropyLoss', 'ohem_kept_mask',
    'ohem_cross_entropy', 'SoftAnchorAlignmentLoss', 'soft_anchor_loss', 'ema_update_nearest',
    'anchor_distances', 'class_mean_vectors', 'normalisation_pooling'
]
