"""Registered scorers: map a (C, H, W) softmax prediction to (H, W) scores.

All scores are non-negative (a requirement of CBDA's class weighting, see
:class:`mmada.active.cbda.ClassBalancedScorer`) and higher means "query
first". The math lives in :mod:`mmada.active.functional`.
"""
import torch
from torch import Tensor

from mmada.registry import SCORERS
from . import functional as F
from .base import BaseScorer, ImageContext


@SCORERS.register_module()
class RandomScorer(BaseScorer):
    """Uniform random scores in [0, 1) (RIPU's RAND baseline).

    The scores are drawn from ``ctx.generator``, seeded per (seed, round,
    image), so they do not depend on sharding or on the global RNG.
    """

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Draw one uniform score per pixel.

        Args:
            probs: (C, H, W) softmax probabilities (only the shape is used).
            ctx: Per-image context providing the generator.

        Returns:
            Tensor: (H, W) float32 scores on the device of ``probs``.
        """
        F.check_probs(probs)
        device = ctx.generator.device
        score = torch.rand(
            probs.shape[1:], generator=ctx.generator, device=device)
        return score.to(probs.device)


@SCORERS.register_module()
class EntropyScorer(BaseScorer):
    """Pixel entropy ``-sum_c p_c log p_c`` (RIPU Eq. 5; the ENT baseline).

    Args:
        normalize: Divide by ``log C`` so that scores lie in [0, 1].
    """

    def __init__(self, normalize: bool = False) -> None:
        self.normalize = normalize

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel by its prediction entropy.

        Args:
            probs: (C, H, W) softmax probabilities.
            ctx: Per-image context (unused).

        Returns:
            Tensor: (H, W) entropy.
        """
        return F.pixel_entropy(probs, normalize=self.normalize)


@SCORERS.register_module()
class SoftmaxConfidenceScorer(BaseScorer):
    """Least confidence ``1 - max_c p_c`` (RIPU appendix; SCONF baseline)."""

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel by one minus its top probability.

        Args:
            probs: (C, H, W) softmax probabilities.
            ctx: Per-image context (unused).

        Returns:
            Tensor: (H, W) scores in [0, 1 - 1/C].
        """
        return F.softmax_confidence(probs)


@SCORERS.register_module()
class MarginScorer(BaseScorer):
    """Margin ``1 - (p_1 - p_2)``: a small top-2 margin scores high."""

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel by one minus its top-2 probability margin.

        Args:
            probs: (C, H, W) softmax probabilities, C >= 2.
            ctx: Per-image context (unused).

        Returns:
            Tensor: (H, W) scores in [0, 1].
        """
        return F.margin_score(probs)


@SCORERS.register_module()
class RIPUScorer(BaseScorer):
    """Region impurity x prediction uncertainty (RIPU, Eqs. 4-7).

    * ``mode='region'`` (RA): region uncertainty (Eq. 6, mean pixel entropy
      over the (2k+1)x(2k+1) window) x region impurity (Eq. 4, entropy of
      the pseudo-label class proportions in the window). Pair it with
      ``SquareRegionUnit`` of the same ``k``.
    * ``mode='pixel'`` (PA): pixel entropy (Eq. 5) x region impurity. Pair it
      with ``PixelUnit(suppress_k=k)``.

    Windows are clipped at image borders (proportions and means over the
    in-image pixels only) and computed with box filters whose cost does not
    depend on ``k``. ``use_impurity=False`` / ``use_uncertainty=False`` give
    RIPU's ablations (Table 3 (b) / (a)).

    Args:
        k: Window radius (RIPU uses 1 for RA, 32 for PA).
        mode: ``'region'`` or ``'pixel'``.
        normalize: Divide entropy and impurity by ``log C`` (as the authors'
            code); a constant factor that never changes a ranking.
        use_impurity: Multiply by the region impurity.
        use_uncertainty: Multiply by the region/pixel uncertainty.
    """

    def __init__(self,
                 k: int = 1,
                 mode: str = 'region',
                 normalize: bool = True,
                 use_impurity: bool = True,
                 use_uncertainty: bool = True) -> None:
        F.check_radius(k)
        if mode not in ('region', 'pixel'):
            raise ValueError(
                f"RIPUScorer: mode must be 'region' or 'pixel', got {mode!r}")
        if not (use_impurity or use_uncertainty):
            raise ValueError('RIPUScorer: at least one of use_impurity and '
                             'use_uncertainty must be True')
        self.k = int(k)
        self.mode = mode
        self.normalize = normalize
        self.use_impurity = use_impurity
        self.use_uncertainty = use_uncertainty

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Compute the RIPU acquisition map (Eq. 7).

        Args:
            probs: (C, H, W) softmax probabilities.
            ctx: Per-image context (its pseudo labels of ``probs`` are
                shared with a wrapping ``ClassBalancedScorer``).

        Returns:
            Tensor: (H, W) float32 non-negative scores.
        """
        labels = None
        if self.use_impurity and ctx is not None:
            F.check_probs(probs)
            labels = ctx.derived('pseudo_labels', probs,
                                 F.compact_pseudo_labels)
        return F.ripu_score(
            probs,
            k=self.k,
            mode=self.mode,
            normalize=self.normalize,
            use_impurity=self.use_impurity,
            use_uncertainty=self.use_uncertainty,
            labels=labels)
