"""Pure tensor functions of acquisition: uncertainty, RIPU scores, selection.

Everything here takes tensors and returns tensors; the registered scorers
(:mod:`mmada.active.scorers`) and selection units (:mod:`mmada.active.units`)
are thin wrappers around these functions.

Conventions:

* ``probs`` is a ``(C, H, W)`` softmax prediction, ``score`` a ``(H, W)``
  float map (higher = query first), ``positions`` are flat row-major indices
  ``y * W + x`` (int64).
* A "window of radius k" around ``(i, j)`` is the Chebyshev ball
  ``{(u, v) : |u - i| <= k, |v - j| <= k}`` clipped to the image (RIPU Eq. 1):
  at borders and corners it holds only in-image pixels, and means or
  proportions over it are taken over those pixels only.
* Box filters are computed with cumulative sums (one pass per axis), so their
  cost does not depend on ``k``.

Modules: :mod:`.checks` (input checks), :mod:`.uncertainty` (pixel-wise
scores), :mod:`.box` (box filters), :mod:`.ripu` (region impurity and the
RIPU score), :mod:`.regions` (square masks, grid patches) and
:mod:`.greedy` (argmax-then-suppress selection); :mod:`.anchors` holds the
multi-anchor math (MADA / MADAv2), re-exported by :mod:`mmada.active.anchors`.
"""
from .box import (SMALL_BOX_RADIUS, SmallBoxCounts, box_count, box_mean,
                  box_sum, window_bounds)
from .checks import (check_positions, check_probs, check_radius,
                     check_selection_inputs)
from .greedy import (GREEDY_BLOCK_SIZE, SORT_MIN_UNITS, empty_selection,
                     greedy_suppress)
from .regions import grid_reduce, square_mask, square_sizes
from .ripu import region_impurity, region_uncertainty, ripu_score
from .uncertainty import (compact_pseudo_labels, margin_score, pixel_entropy,
                          pseudo_labels, softmax_confidence)

__all__ = [
    'check_probs', 'check_radius', 'check_positions', 'check_selection_inputs',
    'pixel_entropy', 'pseudo_labels', 'compact_pseudo_labels',
    'softmax_confidence', 'margin_score', 'window_bounds', 'SMALL_BOX_RADIUS',
    'SmallBoxCounts', 'box_count', 'box_sum', 'box_mean', 'region_impurity',
    'region_uncertainty', 'ripu_score', 'square_mask', 'square_sizes',
    'GREEDY_BLOCK_SIZE', 'SORT_MIN_UNITS', 'empty_selection',
    'greedy_suppress', 'grid_reduce'
]
