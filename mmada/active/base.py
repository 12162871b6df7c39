"""Interfaces of the acquisition pieces.

An acquisition round, run by :class:`mmada.engine.hooks.ActiveLearningHook`,
is a composition of four registered kinds of piece (registry
``mmada.registry.ACQUISITIONS``)::

    allocator.reset(budget)
    for every target image (sharded over ranks):
        probs   = model(image).softmax()                    # (C, H, W), label resolution
        score   = scorer(probs, ctx)                        # (H, W), higher = query first
        scores, positions = unit.greedy(score, excluded, allocator.max_units())
        allocator.push(index, scores, positions, unit.cost(positions, shape))
    picks = merge of the ranks' allocators, .result()        # decided once, on rank 0
    for every picked unit: label unit.footprint(...), exclude unit.exclusion(...)

* Scorers (and score wrappers such as CBDA's class balancing) are pure:
  tensors in, tensors out. ``prepare_round`` gives them the round's global
  statistics before any image is scored.
* Selection units turn a score map into an ordered sequence of
  non-overlapping units (pixels, squares, grid patches, whole images).
* Allocators (:mod:`mmada.active.allocators`) split the round's budget:
  an equal share per image, or a dataset-wide top-N over all images'
  candidate sequences, streamed with bounded memory.
"""
from dataclasses import dataclass, field
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor


@dataclass
class RoundInfo:
    """Global facts of one acquisition round, identical on every rank.

    Attributes:
        round_index: 1-based index of the round being selected.
        num_rounds: Total number of rounds of the schedule.
        num_classes: Number of classes C.
        pool_pixels: Total number of target pixels in the pool (|T| x H x W at
            the selection resolution).
        budget_ratio: Total budget of the whole schedule as a fraction of
            ``pool_pixels`` (``None`` when the budget is not a ratio).
        labelled_per_class: (C,) int64 counts of every label acquired in the
            rounds before this one (CBDA's L_{c,i}).
    """
    round_index: int
    num_rounds: int
    num_classes: int
    pool_pixels: int
    budget_ratio: Optional[float] = None
    labelled_per_class: Tensor = field(
        default_factory=lambda: torch.zeros(0, dtype=torch.long))


@dataclass
class ImageContext:
    """Per-image inputs of a scorer besides the prediction.

    Attributes:
        index: Absolute dataset index of the image.
        labelled: (H, W) bool mask of pixels already labelled.
        generator: Random generator seeded from (seed, round, index) so that
            random scores do not depend on sharding or on the global RNG.
    """
    index: int
    labelled: Tensor
    generator: torch.Generator


class BaseScorer:
    """Maps a softmax prediction to a per-pixel acquisition score."""

    def prepare_round(self, info: RoundInfo) -> None:
        """Receive the round's global statistics (default: nothing to do).

        Args:
            info: Facts of the round, identical on every rank.
        """

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel.

        Args:
            probs: (C, H, W) softmax probabilities at label resolution.
            ctx: Per-image context.

        Returns:
            Tensor: (H, W) float scores; higher is queried first.
        """
        raise NotImplementedError


class BaseUnit:
    """A selection unit: what one query asks an annotator to label."""

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """Greedy argmax-then-suppress over one image.

        Args:
            score: (H, W) float score map.
            excluded: (H, W) bool, positions that may not be picked as units.
            max_units: Maximum number of units to return.

        Returns:
            tuple[Tensor, Tensor]: scores (n,) in non-increasing order and flat
            positions (n,) int64 of the picked units, ``n <= max_units``.
        """
        raise NotImplementedError

    def footprint(self, positions: Tensor, shape: Sequence[int]) -> Tensor:
        """Pixels an annotator labels for the given units.

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).

        Returns:
            Tensor: (H, W) bool mask.
        """
        raise NotImplementedError

    def exclusion(self, positions: Tensor, shape: Sequence[int]) -> Tensor:
        """Positions that may never be picked again once these units are taken.

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).

        Returns:
            Tensor: (H, W) bool mask.
        """
        raise NotImplementedError

    def cost(self, positions: Tensor, shape: Sequence[int]) -> Tensor:
        """Pixels each unit labels (its footprint size, clipped at borders).

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).

        Returns:
            Tensor: (n,) int64 pixel counts.
        """
        raise NotImplementedError
