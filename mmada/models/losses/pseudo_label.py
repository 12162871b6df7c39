"""Cross-entropy on online pseudo labels (ADA-MCU, Eq. 5)."""
import torch.nn.functional as F
from mmseg.models.utils import resize
from torch import Tensor

from mmada.registry import MODELS
from .base import BaseDomainLoss


def pseudo_label_ce(seg_logits: Tensor, pseudo: Tensor, ignore_index: int = 255,
                    align_corners: bool = False) -> Tensor:
    """Mean cross-entropy over the pseudo-labelled pixels (0 if there are none).

    Args:
        seg_logits: (B, C, h, w) logits (resized to the labels' size).
        pseudo: (B, H, W) int64 pseudo labels, ``ignore_index`` elsewhere.
        ignore_index: Label of pixels without a pseudo label.
        align_corners: Of the resize.

    Returns:
        Tensor: Scalar loss.
    """
    logits = resize(seg_logits, size=pseudo.shape[-2:], mode='bilinear',
                    align_corners=align_corners)
    valid = pseudo != ignore_index
    if not valid.any():
        return logits.sum() * 0
    return F.cross_entropy(logits, pseudo, ignore_index=ignore_index, reduction='sum') / \
        valid.sum()


@MODELS.register_module()
class PseudoLabelCELoss(BaseDomainLoss):
    """``L_seg^{G_l}`` of ADA-MCU (Zhang et al., Eq. 5): cross-entropy of the
    decode head on the sampled low-uncertainty pixels, whose labels are the
    current prediction (``pseudo_sem_seg`` of an online acquisition).

    Args:
        ignore_index: Label of pixels without a pseudo label.
        align_corners: Of the logits' resize (the decode head's).
        **kwargs: See :class:`BaseDomainLoss` (``domain='target'``).
    """
    default_inputs = ('seg_logits', 'pseudo_sem_seg')

    def __init__(self, ignore_index: int = 255, align_corners: bool = False,
                 loss_name: str = 'loss_pseudo', **kwargs) -> None:
        super().__init__(loss_name=loss_name, **kwargs)
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def forward(self, seg_logits: Tensor, pseudo_sem_seg: Tensor) -> Tensor:
        """Loss on the pseudo-labelled pixels."""
        return pseudo_label_ce(seg_logits, pseudo_sem_seg, self.ignore_index,
                               self.align_corners)
