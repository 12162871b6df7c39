"""Interfaces of the acquisition pieces.

An acquisition round, run by :class:`mmada.active.engine.AcquisitionRound`
(the hook only decides *when*), is a composition of four registered kinds of
piece, each with its registry (``mmada.registry.SCORERS``, ``UNITS``,
``ALLOCATORS``, ``ORACLES``)::

    scorer.prepare_round(info)                    # may run pool passes (info.passes)
    allocator.start_round(budget, unit, shapes, round)
    for every target image (sharded over ranks, in batches, on the model's device):
        outputs = model outputs named in scorer.inputs     # e.g. probs, aux_probs, feats
        score   = scorer(**outputs, ctx=ctx)               # (H, W), higher = query first
        allocator.begin_image(index, shape)
        scores, positions = unit.select(score, excluded, allocator.max_units(), ctx)
        allocator.push(index, scores, positions, unit.cost(positions, shape, ctx))
    picks = merge of the ranks' allocators, .result()       # decided once, on rank 0
    for every picked unit: label unit.footprint(...), exclude unit.exclusion(...),
        pseudo-label unit.pseudo_candidates(...) outside the footprints

* Scorers (and score wrappers such as CBDA's class balancing) are pure:
  named tensors in, a score map out. They declare the model outputs they
  need in ``inputs`` (see :mod:`mmada.models.acquisition_outputs`).
  ``prepare_round`` gives them the round's global statistics and, for
  pool-level scorers, passes over the source and target pools.
* Selection units turn a score map into an ordered sequence of
  non-overlapping units (pixels, squares, grid patches, points, images).
* Allocators (:mod:`mmada.active.allocators`) split the round's budget:
  an equal share per image, or a dataset-wide top-N over all images'
  candidate sequences, streamed with bounded memory.
* Oracles (:mod:`mmada.active.oracles`) answer the queries.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence, Tuple

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
        passes: A :class:`mmada.active.engine.PoolPasses` to run the current
            model over the ``'source'`` or ``'target'`` pool (``None``
            outside a round of the engine).
        work_dir: The run's work dir, for files a scorer writes for users
            (e.g. anchors); ``None`` outside a round of the engine.
    """
    round_index: int
    num_rounds: int
    num_classes: int
    pool_pixels: int
    budget_ratio: Optional[float] = None
    labelled_per_class: Tensor = field(
        default_factory=lambda: torch.zeros(0, dtype=torch.long))
    passes: Optional[object] = None
    work_dir: Optional[str] = None


@dataclass
class ImageContext:
    """Per-image inputs of a scorer besides the prediction.

    The same context (same seed) is rebuilt wherever the image is handled:
    on the rank that scores it and on rank 0, which turns the picks into
    footprints, so a unit that draws random positions gets the same ones on
    any number of ranks.

    Attributes:
        index: Absolute dataset index of the image.
        labelled: (H, W) bool mask of pixels already labelled.
        generator: Random generator seeded from (seed, round, index) so that
            random scores do not depend on sharding or on the global RNG.
            Scorers draw from it.
        seed: The integer behind ``generator``; units that need random
            numbers take a fresh generator from :meth:`rng`.
        memo: Maps derived from this image's outputs, shared by the pieces
            that score it (see :meth:`derived`).
        image_loader: ``fn() -> (3, H, W) uint8 RGB`` image at label
            resolution; the engine gives every context one (read from disk
            only when a piece calls :meth:`image`).
    """
    index: int
    labelled: Tensor
    generator: torch.Generator
    seed: int = 0
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    image_loader: Optional[Callable[[], Tensor]] = field(default=None, repr=False,
                                                          compare=False)

    def image(self) -> Tensor:
        """The image itself, for pieces that look at pixels (e.g. superpixels).

        Loaded once per context, on the rank that scores the image and again
        on rank 0 when it turns the picks into footprints (the same file, so
        anything computed from it is the same on both).

        Returns:
            Tensor: (3, H, W) uint8 RGB image, H x W being the label shape.
        """
        if 'image' not in self.memo:
            if self.image_loader is None:
                raise ValueError(f'the context of image {self.index} has no image: pieces that '
                                 'need the image run inside an acquisition round '
                                 '(AcquisitionRound), which provides it')
            self.memo['image'] = self.image_loader()
        return self.memo['image']

    def derived(self, name: str, source: Tensor, fn) -> Tensor:
        """``fn(source)``, computed once per image and source tensor.

        A score wrapper and the scorer it wraps often need the same map of
        the same output (CBDA's class weights and RIPU's impurity both use
        the pseudo labels of ``probs``): the first call computes it, later
        calls with the same ``name`` and the same, unmodified ``source``
        tensor get it back.

        Args:
            name: What ``fn`` computes (e.g. ``'pseudo_labels'``).
            source: The tensor it is computed from.
            fn: ``fn(source) -> Tensor``.

        Returns:
            Tensor: The derived map (treat it as read-only).
        """
        hit = self.memo.get(name)
        if hit is not None and hit[0] is source and hit[1] == source._version:
            return hit[2]
        value = fn(source)
        self.memo[name] = (source, source._version, value)
        return value

    def rng(self, stream: int = 1) -> torch.Generator:
        """A fresh CPU generator of this image, independent of ``generator``.

        Args:
            stream: Number of the random stream (different pieces use
                different streams so that they never share draws).

        Returns:
            torch.Generator: Seeded from ``(seed, stream)``; every call with
            the same arguments gives the same sequence.
        """
        import numpy as np
        g = torch.Generator()
        g.manual_seed(int(np.random.SeedSequence([self.seed, stream]).generate_state(1)[0]))
        return g


class BaseScorer:
    """Maps named model outputs of one image to a per-pixel acquisition score.

    Attributes:
        inputs: Names of the model outputs :meth:`__call__` receives as
            keyword arguments (see
            :data:`mmada.models.acquisition_outputs.ACQUISITION_OUTPUTS`):
            ``probs`` (the default), ``logits``, ``aux_probs``, ``feats``, ...
            The model computes only these.
    """
    inputs: Sequence[str] = ('probs', )

    def check_pools(self, sizes: Dict[str, int]) -> None:
        """Refuse settings the pools cannot satisfy, before any work (default: none).

        Called when the acquisition hook attaches, before training.

        Args:
            sizes: Number of images of each pool (``target``; ``source``
                when the training data have one).

        Raises:
            ValueError: What is wrong and what to change.
        """

    def prepare_round(self, info: RoundInfo) -> None:
        """Receive the round's global statistics (default: nothing to do).

        Pool-level scorers run passes of the current model over the source
        or target pool here, through ``info.passes`` (e.g. to compute
        anchors), and keep what training needs in :meth:`state_dict`.

        Args:
            info: Facts of the round, identical on every rank.
        """

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel.

        Args:
            probs: (C, H, W) softmax probabilities at label resolution (a
                scorer with other ``inputs`` takes those names instead).
            ctx: Per-image context.

        Returns:
            Tensor: (H, W) float scores; higher is queried first.
        """
        raise NotImplementedError

    def state_dict(self) -> dict:
        """State that training needs after the round (e.g. anchors).

        Saved in every checkpoint and given back to :meth:`load_state_dict`
        on ``--resume``; tensors, numbers, strings, lists and dicts only
        (checkpoints load with ``weights_only=True``).

        Returns:
            dict: Empty for stateless scorers.
        """
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned.

        Args:
            state: A dict from :meth:`state_dict`.
        """


class BaseUnit:
    """A selection unit: what one query asks an annotator to label.

    ``footprint``, ``exclusion``, ``cost`` and ``pseudo_candidates`` receive
    the image's :class:`ImageContext` (its index and seeds), rebuilt
    identically on every rank, so a unit may place random points.

    Attributes:
        maskable: ``True`` when the scores :meth:`greedy` returns are the
            score map's own values at the picked positions (no pooling over
            an area): then scores below a dataset-wide allocator's cut can be
            masked before the greedy pass without changing the result.
        makes_pseudo_labels: ``True`` when :meth:`pseudo_candidates` names
            pixels to pseudo-label (the engine then also computes ``probs``).
        sparse_labels: ``True`` when a query labels isolated pixels (points),
            not regions: a mixer that pastes regions of the acquired labels
            refuses such a unit before training.
    """
    maskable: bool = False
    makes_pseudo_labels: bool = False
    sparse_labels: bool = False

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

    def select(self, score: Tensor, excluded: Tensor, max_units: int,
               ctx: ImageContext) -> Tuple[Tensor, Tensor]:
        """What the round engine calls: :meth:`greedy` with the image's context.

        Units whose regions depend on the image (superpixels) or on other
        per-image inputs override this to read them from ``ctx`` (e.g.
        ``ctx.image()``); the default ignores it.

        Args:
            score: (H, W) float score map.
            excluded: (H, W) bool, positions that may not be picked as units.
            max_units: Maximum number of units to return.
            ctx: The image's context.

        Returns:
            tuple[Tensor, Tensor]: As :meth:`greedy`.
        """
        return self.greedy(score, excluded, max_units)

    def footprint(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """Pixels an annotator labels for the given units.

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).
            ctx: The image's context (units that draw random points need it).

        Returns:
            Tensor: (H, W) bool mask.
        """
        raise NotImplementedError

    def exclusion(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """Positions that may never be picked again once these units are taken.

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).
            ctx: The image's context.

        Returns:
            Tensor: (H, W) bool mask.
        """
        raise NotImplementedError

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """Pixels each unit labels (its footprint size, clipped at borders).

        Args:
            positions: (n,) flat positions returned by :meth:`greedy`.
            shape: (H, W).
            ctx: The image's context.

        Returns:
            Tensor: (n,) int64 pixel counts.
        """
        raise NotImplementedError

    def nominal_pixels(self, shape: Sequence[int]) -> int:
        """Pixels one unit labels away from the borders (ratio budgets divide
        the image's share by it). Default: the footprint of a unit at the
        image centre.

        Args:
            shape: (H, W).

        Returns:
            int: Pixels of one unit.
        """
        h, w = int(shape[0]), int(shape[1])
        centre = torch.tensor([(h // 2) * w + w // 2])
        return int(self.footprint(centre, (h, w)).sum())

    def pseudo_candidates(self, shape: Sequence[int],
                          ctx: Optional[ImageContext] = None) -> Optional[Tensor]:
        """Pixels that get the model's prediction as a pseudo label.

        Called in the scoring pass, where the prediction is at hand; after
        the round's picks are known, the candidates inside the footprints
        of the picks (and pixels labelled earlier) are dropped: human labels
        always win. Pseudo labels go to the store's pseudo-label channel and
        never count as spent budget.

        Args:
            shape: (H, W).
            ctx: The image's context.

        Returns:
            Tensor | None: (m,) flat int64 pixel indices, or ``None`` (the
            default: no pseudo labels).
        """
        return None
