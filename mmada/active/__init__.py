"""Active learning pieces: scorers, selection units, allocators, CBDA."""
from .allocators import (BaseAllocator, GlobalTopNAllocator, PerImageAllocator,
                         images_per_round, pixels_per_image, pixels_per_round,
                         regions_per_image)
from .base import BaseScorer, BaseUnit, ImageContext, RoundInfo
from .cbda import (ClassBalancedScorer, class_budgets, class_weights,
                   goal_distribution, imbalance_score, weight_scores)
from .scorers import (EntropyScorer, MarginScorer, RandomScorer, RIPUScorer,
                      SoftmaxConfidenceScorer)
from .units import GridPatchUnit, ImageUnit, PixelUnit, SquareRegionUnit

__all__ = [
    'BaseScorer', 'BaseUnit', 'BaseAllocator', 'ImageContext', 'RoundInfo',
    'RandomScorer', 'EntropyScorer', 'SoftmaxConfidenceScorer', 'MarginScorer',
    'RIPUScorer', 'ClassBalancedScorer', 'PixelUnit', 'SquareRegionUnit',
    'GridPatchUnit', 'ImageUnit', 'PerImageAllocator', 'GlobalTopNAllocator',
    'regions_per_image', 'pixels_per_image', 'images_per_round',
    'pixels_per_round', 'goal_distribution', 'class_budgets', 'class_weights',
    'weight_scores', 'imbalance_score'
]
