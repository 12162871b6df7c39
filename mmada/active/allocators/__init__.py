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
from .base import BaseAllocator
from .global_topn import GlobalTopNAllocator
from .per_image import PerImageAllocator

__all__ = ['BaseAllocator', 'PerImageAllocator', 'GlobalTopNAllocator']
