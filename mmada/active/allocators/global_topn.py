"""Dataset-wide top-N, streamed with bounded memory (CBDA's Dynamic Acquisition)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmada.registry import ALLOCATORS
from .base import BaseAllocator


@ALLOCATORS.register_module()
class GlobalTopNAllocator(BaseAllocator):
    """Dataset-wide top-N (CBDA's Dynamic Acquisition, Sec. 2 and Alg. 3).

    Selection suppresses only within an image, so the dataset-wide greedy
    selection is the merge, by score, of the images' greedy sequences: the
    longest prefix of that merge that fits the budget. The allocator is
    streaming: images are pushed one by one and it keeps only the candidates
    that can still be selected -- never a score map, never more than about
    twice the budget's worth of candidates (32 bytes each).

    Order of the merge: score descending, then image index, then position
    ascending, so the result does not depend on the order in which images
    are pushed nor on how they are sharded over ranks (shards can be
    combined with :meth:`merge`).

    Why dropping is safe: a candidate is selected iff the total cost of all
    candidates ordered before it, plus its own, fits the budget. Pushing
    more candidates can only add to that total, so once a candidate falls
    out it never comes back; the first candidate that fell out (the *cut*)
    also bounds every later push: anything ordered after it is dropped on
    arrival.

    Args:
        budget_unit: ``'units'`` or ``'pixels'``.
        compact_every: Buffered candidates (at least as many as are kept)
            or ``compact_every // 16`` buffered pushes that trigger merging
            the buffer into the kept candidates (amortises the sorting).
    """

    def __init__(self,
                 budget_unit: str = 'units',
                 compact_every: int = 4096) -> None:
        super().__init__(budget_unit)
        if int(compact_every) != compact_every or compact_every < 1:
            raise ValueError(f'compact_every must be a positive int, got '
                             f'{compact_every!r}')
        self.compact_every = int(compact_every)
        self.reset(0)

    def start_round(self, budget, unit, shapes: Sequence[Tuple[int, int]],
                    round_index: int) -> None:
        """Start a round with the whole pool's budget of the round."""
        self.check_budget(budget)
        self.reset(budget.round_units(shapes, unit, round_index))

    def reset(self, budget: int) -> None:
        """Start a round with ``budget`` units or pixels for the whole pool."""
        super().reset(budget)
        empty_f = np.zeros(0, dtype=np.float64)
        empty_i = np.zeros(0, dtype=np.int64)
        # Kept candidates, sorted by (score desc, image, position).
        self._kept = (empty_f, empty_i, empty_i.copy(), empty_i.copy())
        self._buffer: List[Tuple[np.ndarray, ...]] = []
        self._buffered = 0
        self._cut: Optional[Tuple[float, int, int]] = None

    # ---- ordering helpers -------------------------------------------------
    @staticmethod
    def _before(scores: np.ndarray, images: np.ndarray, positions: np.ndarray,
                key: Tuple[float, int, int]) -> np.ndarray:
        """Mask of candidates ordered strictly before ``key``."""
        score, image, position = key
        later_same_score = (images > image) | ((images == image) &
                                               (positions >= position))
        return (scores > score) | ((scores == score) & ~later_same_score)

    def _update_cut(self, key: Tuple[float, int, int]) -> None:
        """Keep the earliest of the current cut and ``key``."""
        if self._cut is None or (-key[0], key[1],
                                 key[2]) < (-self._cut[0], self._cut[1],
                                            self._cut[2]):
            self._cut = key

    @property
    def threshold(self) -> float:
        """Score below which no new candidate can be selected.

        ``-inf`` until the budget is full. An image's scores strictly below
        it may be set to -inf before ``unit.greedy`` (this only truncates
        its greedy sequence, so the result is unchanged).
        """
        return -math.inf if self._cut is None else self._cut[0]

    # ---- streaming --------------------------------------------------------
    def push(self,
             image_index: int,
             scores: Tensor,
             positions: Tensor,
             costs: Optional[Tensor] = None) -> None:
        """Offer one image's greedy candidates; keep those still selectable."""
        scores, positions, costs = self._candidates(image_index, scores,
                                                    positions, costs)
        images = np.full_like(positions, int(image_index))
        self._add(scores, images, positions, costs)

    def _add(self, scores: np.ndarray, images: np.ndarray,
             positions: np.ndarray, costs: np.ndarray) -> None:
        """Buffer candidates ordered before the cut; compact when needed."""
        if self._cut is not None:
            keep = self._before(scores, images, positions, self._cut)
            scores, images = scores[keep], images[keep]
            positions, costs = positions[keep], costs[keep]
        if scores.size == 0:
            return
        self._buffer.append((scores, images, positions, costs))
        self._buffered += scores.size
        # Many tiny pushes cost more in array headers than in candidates.
        if (self._buffered >= max(self.compact_every, self._kept[0].size)
                or len(self._buffer) >= self.compact_every // 16):
            self._compact()

    def _compact(self) -> None:
        """Merge the buffer into the kept candidates and cut to the budget."""
        if not self._buffer:
            return
        parts = [self._kept] + self._buffer
        scores, images, positions, costs = (
            np.concatenate(p) for p in zip(*parts))
        self._buffer, self._buffered = [], 0
        order = np.lexsort((positions, images, -scores))
        num = int(
            np.searchsorted(np.cumsum(costs[order]), self.budget, 'right'))
        if num < order.size:
            first_out = order[num]
            self._update_cut((float(scores[first_out]), int(images[first_out]),
                              int(positions[first_out])))
        order = order[:num]
        self._kept = (scores[order], images[order], positions[order],
                      costs[order])

    def merge(self, other: 'GlobalTopNAllocator') -> None:
        """Add the candidates kept by another shard (e.g. another rank).

        Args:
            other: An allocator of the same round (same budget and unit).
        """
        if (other.budget, other.budget_unit) != (self.budget,
                                                 self.budget_unit):
            raise ValueError('cannot merge allocators of different budgets')
        other._compact()
        if other._cut is not None:
            self._update_cut(other._cut)
        self._add(*other._kept)
        self._compact()

    # ---- results ----------------------------------------------------------
    def candidates(self) -> Dict[str, Tensor]:
        """The selected candidates in global order (for logs and plots).

        Returns:
            dict[str, Tensor]: ``scores`` (float64), ``images``,
            ``positions`` and ``costs`` (int64), all (n,).
        """
        self._compact()
        names = ('scores', 'images', 'positions', 'costs')
        return {
            name: torch.from_numpy(values.copy())
            for name, values in zip(names, self._kept)
        }

    @property
    def spent(self) -> int:
        """Budget used by the currently selected candidates."""
        self._compact()
        return int(self._kept[3].sum())

    def result(self) -> Dict[int, Tensor]:
        """Picks per image, each in that image's greedy order."""
        self._compact()
        _, images, positions, _ = self._kept
        order = np.argsort(images, kind='stable')
        images, positions = images[order], positions[order]
        bounds = np.flatnonzero(np.diff(images)) + 1
        return {
            int(group_images[0]): torch.from_numpy(group_positions.copy())
            for group_images, group_positions in zip(
                np.split(images, bounds), np.split(positions, bounds))
            if group_images.size
        }
