"""Equal share per image (RIPU; CBDA Alg. 2)."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmada.registry import ALLOCATORS
from .base import BaseAllocator


@ALLOCATORS.register_module()
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
