"""ADA-MCU's uncertainty as a pool scorer for offline acquisition rounds."""
from torch import Tensor

from mmada.active.base import BaseScorer, ImageContext
from mmada.active.functional.mcu import mcu_uncertainty
from mmada.registry import SCORERS


@SCORERS.register_module()
class MCUUncertaintyScorer(BaseScorer):
    """``S = E(p) + gamma * KL(p || p_aux)`` (Zhang et al., ADA-MCU, Eq. 1-3).

    Uses the engine's named outputs ``probs`` (main head) and ``aux_probs``
    (first auxiliary head, DeepLab-v2's layer3 classifier).

    Args:
        gamma: Weight of the KL term (paper: 0.5).
    """
    inputs = ('probs', 'aux_probs')

    def __init__(self, gamma: float = 0.5) -> None:
        if gamma < 0:
            raise ValueError(f'MCUUncertaintyScorer: gamma must be >= 0, got {gamma}')
        self.gamma = float(gamma)

    def __call__(self, probs: Tensor, aux_probs: Tensor, ctx: ImageContext) -> Tensor:
        """Score every pixel.

        Args:
            probs: (C, H, W) main-head softmax.
            aux_probs: (C, H, W) auxiliary-head softmax.
            ctx: Per-image context (unused).

        Returns:
            Tensor: (H, W) non-negative scores.
        """
        return mcu_uncertainty(probs, aux_probs, self.gamma)
