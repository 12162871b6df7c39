"""The allocator interface and the checks every allocator shares."""
import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from torch import Tensor

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
