"""Cross-entropy on pseudo labels: ADA-MCU's online ones (Eqs. 4-6), DAFormer's weighted ones."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.models.utils import resize
from torch import Tensor

from mmada.registry import MODELS
from .base import BaseDomainLoss

#: Values of ``PseudoLabelCELoss(weighting=...)``.
PSEUDO_WEIGHTINGS = ('pseudo', 'all_labels')


def pseudo_label_ce(seg_logits: Tensor, pseudo: Tensor, ignore_index: int = 255,
                    align_corners: bool = False, labels: Optional[Tensor] = None) -> Tensor:
    """Mean cross-entropy over the pseudo-labelled pixels (0 if there are none).

    With ``labels``, the mean is over every pixel that carries a label, the
    ground truth of ``labels`` where there is one, else the pseudo label: each
    such pixel weighs the same, as in the sums over pixels of ADA-MCU's
    Eqs. 4-5 (Zhang et al.), up to the constant count.

    Args:
        seg_logits: (B, C, h, w) logits (resized to the labels' size).
        pseudo: (B, H, W) int64 pseudo labels, ``ignore_index`` elsewhere.
        ignore_index: Label of pixels without a (pseudo) label.
        align_corners: Of the resize.
        labels: Optional (B, H, W) int64 ground truth, ``ignore_index`` where
            none was acquired.

    Returns:
        Tensor: Scalar loss.
    """
    logits = resize(seg_logits, size=pseudo.shape[-2:], mode='bilinear',
                    align_corners=align_corners)
    if labels is not None:
        pseudo = torch.where(labels != ignore_index, labels, pseudo)
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

    The pseudo label is the *hard* prediction (the argmax, set by the
    acquisition), although Eq. 5 writes ``softmax(p)``: a detached soft target
    equal to the model's own softmax has a cross-entropy gradient of exactly
    zero (``softmax(z) - softmax(z)`` with respect to the logits), so that
    reading would train nothing.

    ``weighting`` says how the pseudo-labelled pixels weigh against the
    ground-truth-labelled ones:

    * ``'pseudo'``: the mean over the pseudo-labelled pixels; the segmentor's
      own target cross-entropy is the mean over the ground-truth pixels, so
      both sets weigh the same in total, whatever their sizes.
    * ``'all_labels'``: this loss *is* the target's decode-head cross-entropy,
      one mean over every pixel with a label, true or pseudo (Eqs. 4-6 sum
      over pixels, so many pseudo labels outweigh few true ones, the effect
      Sec. IV-F-1 gives for adaptive sampling); the segmentor then leaves out
      its own decode-head cross-entropy of the target (``replaces_decode_ce``;
      the auxiliary heads' and the accuracy stay).

    Args:
        ignore_index: Label of pixels without a pseudo label.
        align_corners: Of the logits' resize (the decode head's).
        weighting: ``'pseudo'`` or ``'all_labels'`` (see above).
        **kwargs: See :class:`BaseDomainLoss` (``domain='target'``).
    """
    default_inputs = ('seg_logits', 'pseudo_sem_seg')

    def __init__(self, ignore_index: int = 255, align_corners: bool = False,
                 weighting: str = 'pseudo', loss_name: str = 'loss_pseudo',
                 inputs=None, **kwargs) -> None:
        if weighting not in PSEUDO_WEIGHTINGS:
            raise ValueError(f'PseudoLabelCELoss: weighting must be one of '
                             f'{PSEUDO_WEIGHTINGS}, got {weighting!r}')
        if inputs is None and weighting == 'all_labels':
            inputs = self.default_inputs + ('gt_sem_seg', )
        super().__init__(loss_name=loss_name, inputs=inputs, **kwargs)
        self.ignore_index = ignore_index
        self.align_corners = align_corners
        self.weighting = weighting
        self.replaces_decode_ce = weighting == 'all_labels'

    def forward(self, seg_logits: Tensor, pseudo_sem_seg: Tensor,
                gt_sem_seg: Optional[Tensor] = None) -> Tensor:
        """Loss on the pseudo-labelled (and, with ``'all_labels'``, labelled) pixels."""
        labels = gt_sem_seg if self.weighting == 'all_labels' else None
        return pseudo_label_ce(seg_logits, pseudo_sem_seg, self.ignore_index,
                               self.align_corners, labels)


def pixel_weighted_ce(seg_logits: Tensor, labels: Tensor, weight: Tensor,
                      ignore_index: int = 255, align_corners: bool = False) -> Tensor:
    """Cross-entropy weighted per pixel, averaged over the labelled pixels.

    ``sum_p w_p CE_p / |{p : y_p != ignore}|`` (0 without labelled pixels):
    DAFormer's loss on the mixed images (Hoyer et al., CVPR 2022, Eq. 3,
    with the quality weight ``q`` per pixel), except that the authors' code
    divides by all pixels, ignored ones included.

    Args:
        seg_logits: (B, C, h, w) logits (resized to the labels' size).
        labels: (B, H, W) int64 labels, ``ignore_index`` where unlabelled.
        weight: (B, H, W) float per-pixel weights.
        ignore_index: Unlabelled id.
        align_corners: Of the resize.

    Returns:
        Tensor: Scalar loss.
    """
    logits = resize(seg_logits, size=labels.shape[-2:], mode='bilinear',
                    align_corners=align_corners)
    valid = labels != ignore_index
    if not valid.any():
        return logits.sum() * 0
    ce = F.cross_entropy(logits, labels, ignore_index=ignore_index, reduction='none')
    return (ce * weight.to(ce.dtype)).sum() / valid.sum()


@MODELS.register_module()
class PixelWeightedCELoss(BaseDomainLoss):
    """Cross-entropy weighted by the samples' ``seg_weight`` (DAFormer's pseudo-label loss).

    On a domain whose samples carry per-pixel weights (a
    :class:`~mmada.models.teachers.PseudoLabelTeacher` with
    ``quality_threshold``, mixed by :class:`~mmada.models.mixers.DACSMix`):
    true and source labels weigh 1, pseudo labels the teacher's confident
    share (:func:`~mmada.models.teachers.quality_weight`). On MIC's
    ``'masked'`` domain (:class:`~mmada.models.mixers.MaskedImageConsistency`)
    it is MIC's loss ``L^M`` (Hoyer et al., CVPR 2023, Eq. 3).

    Args:
        ignore_index: Unlabelled id.
        align_corners: Of the logits' resize (the decode head's).
        **kwargs: See :class:`BaseDomainLoss` (``domain='target'``).
    """
    default_inputs = ('seg_logits', 'gt_sem_seg', 'seg_weight')
    domains = ('source', 'target', 'pseudo', 'masked')

    def __init__(self, ignore_index: int = 255, align_corners: bool = False,
                 loss_name: str = 'loss_pseudo', **kwargs) -> None:
        super().__init__(loss_name=loss_name, **kwargs)
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def forward(self, seg_logits: Tensor, gt_sem_seg: Tensor, seg_weight: Tensor) -> Tensor:
        """Weighted cross-entropy of the domain."""
        return pixel_weighted_ce(seg_logits, gt_sem_seg, seg_weight, self.ignore_index,
                                 self.align_corners)
