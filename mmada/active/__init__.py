"""Active learning pieces: scorers, selection units, allocators, CBDA."""
from .allocators import BaseAllocator, GlobalTopNAllocator, PerImageAllocator
from .anchors import (MultiAnchorScorer, class_feature_vector, dual_domain_distance,
                      kmeans_anchors, nearest_anchor_distance)
from .budget import Budget, pixels_per_image
from .base import BaseScorer, BaseUnit, ImageContext, RoundInfo
from .discriminator_scorers import (AADAImageScorer, AdversarialImageScorer,
                                    adversarial_odds)
from .cbda import (ClassBalancedScorer, class_budgets, class_weights,
                   goal_distribution, imbalance_score, weight_scores)
from .online import AdaMCUOnlineAcquisition, BaseOnlineAcquisition, MCUUncertaintyScorer
from .scorers import (EntropyScorer, MarginScorer, RandomScorer, RIPUScorer,
                      SoftmaxConfidenceScorer)
from .point_units import GridPointsUnit
from .superpixel_units import SuperpixelUnit, slic_regions
from .units import GridPatchUnit, ImageUnit, PixelUnit, SquareRegionUnit

__all__ = [
    'BaseScorer', 'BaseUnit', 'BaseAllocator', 'ImageContext', 'RoundInfo',
    'RandomScorer', 'EntropyScorer', 'SoftmaxConfidenceScorer', 'MarginScorer',
    'RIPUScorer', 'ClassBalancedScorer', 'PixelUnit', 'SquareRegionUnit',
    'GridPatchUnit', 'GridPointsUnit', 'ImageUnit', 'PerImageAllocator', 'GlobalTopNAllocator',
    'Budget', 'pixels_per_image', 'MultiAnchorScorer', 'class_feature_vector',
    'dual_domain_distance', 'kmeans_anchors', 'nearest_anchor_distance', 'goal_distribution', 'class_budgets', 'class_weights',
    'weight_scores', 'imbalance_score', 'SuperpixelUnit', 'slic_regions',
    'BaseOnlineAcquisition', 'AdaMCUOnlineAcquisition', 'MCUUncertaintyScorer',
    'AdversarialImageScorer', 'AADAImageScorer',
    'adversarial_odds'
]
