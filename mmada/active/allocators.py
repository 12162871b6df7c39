"""Allocators: how a round's budget is split over images.

:class:`~mmada.active.budget.Budget` turns the paper's budgets into numbers
of units; allocators then decide which of every image's greedy candidates
are labelled. One round with any allocator (the same calls for all of them,
see :mod:`mmada.active.engine`)::

    allocator.start_round(budget, unit, shapes, round_index)
    for index, score, excluded in pool:          # any order, any sharding
        allocator.begin_image(index, score.shape)
        if unit.maskable:                        # scores below the cut
            score[score < allocator.threshold] = -inf   # can never be taken
        scores, positions = unit.greedy(score, excluded,
                                        allocator.max_units())
        allocator.push(index, scores, positions,
                       costs=unit.cost(positions, score.shape))
    allocator.merge(other_shard)                 # gathered from other ranks
    picks = allocator.result()                   # {index: positions}

Budgets are counted either in units (``budget_unit='units'``: regions,
pixels, patches, images) or in pixels (``budget_unit='pixels'``: each unit
costs its footprint size). A pixel budget is never exceeded: units are
taken in order while they fit, and selection stops at the first unit that
does not fit (a prefix, so the result stays a greedy prefix).
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmada.registry import ACQUISITIONS

_BUDGET_UNITS = ('units', 'pixels')


# --------------------------------------------------------------------------
# Allocators
# --------------------------------------------------------------------------
def _as_numpy(values: Tensor, dtype: np.dtype) -> np.ndarray:
    """A 1-D numpy copy of a tensor (or array-like) in ``dtype``."""
    if isinstance(values, Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype).reshape(-1)


class BaseAllocator:
    """Splits one round's budget over the images' greedy candidates.

    Args:
        budget_unit: ``'units'`` (every unit costs 1) or ``'pixels'`` (a
            unit costs its footprint size, given to :meth:`push`).
    """

    def __init__(self, budget_unit: str = 'units') -> None:
        if budget_unit not in _BUDGET_UNITS:
            raise ValueError(f'{type(self).__name__}: budget_unit must be one '
                             f'of {_BUDGET_UNITS}, got {budget_unit!r}')
        self.budget_unit = budget_unit
        self.budget = 0

    def reset(self, budget: int) -> None:
        """Start a round.

        Args:
            budget: Budget of the round, in ``budget_unit`` (per image for
                :class:`PerImageAllocator`, for the whole pool for
                :class:`GlobalTopNAllocator`).
        """
        if int(budget) != budget or budget < 0:
            raise ValueError(f'{type(self).__name__}: budget must be a '
                             f'non-negative int, got {budget!r}')
        self.budget = int(budget)

    # ---- the round API every caller uses (no type checks needed) ---------
    def check_budget(self, budget) -> None:
        """Refuse a budget this allocator cannot spend (before training).

        Args:
            budget: The schedule's :class:`~mmada.active.budget.Budget`.
        """

    def start_round(self, budget, unit, shapes: Sequence[Tuple[int, int]],
                    round_index: int) -> None:
        """Start a round of a schedule.

        Args:
            budget: The schedule's :class:`~mmada.active.budget.Budget`.
            unit: The selection unit (its footprint sets unit sizes).
            shapes: (H, W) of every pool image, in dataset order.
            round_index: 1-based round.
        """
        raise NotImplementedError

    def begin_image(self, image_index: int, shape: Sequence[int]) -> None:
        """Called before an image's candidates are requested and pushed.

        Args:
            image_index: Absolute dataset index of the image.
            shape: (H, W) of its score map.
        """

    @property
    def threshold(self) -> float:
        """Score below which no new candidate can be selected (``-inf``:
        no such bound is known). Units whose greedy scores are the score
        map's own values (``unit.maskable``) may mask scores below it."""
        return -math.inf

    def merge(self, other: 'BaseAllocator') -> None:
        """Add what another shard (e.g. another rank) of the round kept.

        Args:
            other: An allocator of the same type and round.
        """
        raise NotImplementedError

    def max_units(self, min_cost: int = 1) -> int:
        """How many greedy candidates to request from every image.

        Args:
            min_cost: Smallest pixel cost a unit can have (pixel budgets).

        Returns:
            int: An upper bound of the units one image can get.
        """
        if min_cost < 1:
            raise ValueError(f'min_cost must be >= 1, got {min_cost}')
        if self.budget_unit == 'units':
            return self.budget
        return self.budget // int(min_cost)

    def _candidates(
            self, image_index: int, scores: Tensor, positions: Tensor,
            costs: Optional[Tensor]
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate one image's greedy sequence; return numpy copies."""
        if int(image_index) != image_index or image_index < 0:
            raise ValueError(f'image_index must be a non-negative int, got '
                             f'{image_index!r}')
        scores = _as_numpy(scores, np.float64)
        positions = _as_numpy(positions, np.int64)
        if scores.shape != positions.shape:
            raise ValueError(f'{scores.size} scores for {positions.size} '
                             f'positions')
        if np.isnan(scores).any():
            raise ValueError('scores contain NaN')
        if (np.diff(scores) > 0).any():
            raise ValueError('scores must be non-increasing (a greedy '
                             'sequence from BaseUnit.greedy)')
        if self.budget_unit == 'units':
            costs = np.ones_like(positions)
        elif costs is None:
            raise ValueError("budget_unit='pixels' needs the pixel cost of "
                             'every unit (e.g. unit.cost(positions, shape))')
        else:
            costs = _as_numpy(costs, np.int64)
            if costs.shape != positions.shape or (costs < 1).any():
                raise ValueError('costs must be one positive int per unit')
        return scores, positions, costs

    def push(self,
             image_index: int,
             scores: Tensor,
             positions: Tensor,
             costs: Optional[Tensor] = None) -> None:
        """Offer one image's greedy candidates.

        Args:
            image_index: Absolute dataset index of the image.
            scores: (n,) non-increasing scores from ``unit.greedy``.
            positions: (n,) positions from ``unit.greedy``.
            costs: (n,) pixel costs (``unit.cost``); needed for pixel
                budgets, ignored for unit budgets.
        """
        raise NotImplementedError

    def result(self) -> Dict[int, Tensor]:
        """The round's picks.

        Returns:
            dict[int, Tensor]: image index -> (m,) int64 positions in greedy
            order; images with no pick are absent.
        """
        raise NotImplementedError


@ACQUISITIONS.register_module()
class PerImageAllocator(BaseAllocator):
    """Equal share per image (RIPU; CBDA Alg. 2).

    Every image gets the same budget and takes the longest prefix of its own
    greedy sequence that fits in it. The budget passed to :meth:`reset` is
    **per image**.

    Args:
        budget_unit: ``'units'`` or ``'pixels'``.
    """

    def __init__(self, budget_unit: str = 'units') -> None:
        super().__init__(budget_unit)
        self._picks: Dict[int, Tensor] = {}

    def reset(self, budget: int) -> None:
        """Start a round with ``budget`` units or pixels per image."""
        super().reset(budget)
        self._picks = {}
        self._per_image = None

    def check_budget(self, budget) -> None:
        """An image budget cannot be shared equally: every image would be
        one unit (all images labelled)."""
        if budget.type == 'images':
            raise ValueError(
                "an 'images' budget needs a dataset-wide allocator "
                "(allocator=dict(type='GlobalTopNAllocator')); with the "
                'per-image allocator every image would be labelled')

    def start_round(self, budget, unit, shapes: Sequence[Tuple[int, int]],
                    round_index: int) -> None:
        """Start a round: every image gets ``budget.units_per_image``."""
        self.check_budget(budget)
        self.reset(0)
        self._per_image = lambda shape: budget.units_per_image(
            shape, unit, round_index)

    def begin_image(self, image_index: int, shape: Sequence[int]) -> None:
        """Set the budget of this image (it depends on its size)."""
        if self._per_image is None:
            raise RuntimeError('PerImageAllocator: call start_round() first')
        super().reset(self._per_image(tuple(shape)))

    def push(self,
             image_index: int,
             scores: Tensor,
             positions: Tensor,
             costs: Optional[Tensor] = None) -> None:
        """Keep the prefix of the image's candidates that fits the budget."""
        _, positions, costs = self._candidates(image_index, scores, positions,
                                               costs)
        num = int(np.searchsorted(np.cumsum(costs), self.budget, 'right'))
        if num:
            self._picks[int(image_index)] = torch.from_numpy(
                positions[:num].copy())

    def __getstate__(self) -> dict:
        """Pickle (gather across ranks) without the round's budget rule."""
        state = dict(self.__dict__)
        state['_per_image'] = None
        return state

    def merge(self, other: 'PerImageAllocator') -> None:
        """Add the picks of another shard (e.g. gathered from a rank)."""
        self._picks.update(other._picks)

    def result(self) -> Dict[int, Tensor]:
        """The picks of every pushed image."""
        return dict(sorted(self._picks.items()))


@ACQUISITIONS.register_module()
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
