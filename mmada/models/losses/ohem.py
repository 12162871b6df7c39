"""Online hard example mining (OHEM) cross-entropy, as MADAv2 uses it (Eq. 13).

MADAv2 (Ning et al., TPAMI 2023) trains its consistency terms with the OHEM
loss of Shrivastava et al. (CVPR 2016) in the pixel form of the authors'
code: of the valid pixels of a batch only the *hard* ones count, those whose
probability of the ground-truth (or pseudo-label) class is at most
``max(thresh, p_k)``, ``p_k`` being the ``min_kept``-th smallest such
probability, so that at least ``min_kept`` pixels are kept. A batch with
fewer than ``min_kept`` valid pixels is not mined (every valid pixel counts).
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmada.registry import MODELS
from .base import BaseDomainLoss

#: Domains an OHEM / soft-anchor loss may be attached to: the two of the
#: batch and ``'pseudo'``, the pseudo-labelled copy of the target batch made
#: by :class:`~mmada.models.teachers.PseudoLabelTeacher`.
STAGE2_DOMAINS = ('source', 'target', 'pseudo')


def ohem_kept_mask(logits: Tensor, labels: Tensor, thresh: float = 0.7,
                   min_kept: int = 100000, ignore_index: int = 255) -> Tensor:
    """The pixels OHEM keeps (MADAv2 Eq. 13, the authors' OHEM rule).

    With ``n`` valid pixels (label != ``ignore_index``) in the batch:

    * ``n < min_kept``: every valid pixel (no mining);
    * otherwise the valid pixels whose ground-truth-class probability is
      ``<= max(thresh, p_k)``, ``p_k`` the ``min_kept``-th smallest
      probability over the valid pixels (so ties at ``p_k`` are kept too).

    ``min_kept=0`` keeps the valid pixels with probability ``<= thresh``
    (the authors' code then skips mining altogether).

    Args:
        logits: (B, C, H, W) logits at label resolution.
        labels: (B, H, W) int64 labels.
        thresh: Probability threshold (0.7).
        min_kept: Fewest pixels kept (100,000 in the authors' code).
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (B, H, W) bool mask of kept pixels.
    """
    if logits.dim() != 4 or labels.shape != (logits.shape[0], ) + logits.shape[2:]:
        raise ValueError(f'logits must be (B, C, H, W) and labels (B, H, W), got '
                         f'{tuple(logits.shape)} and {tuple(labels.shape)}')
    valid = labels != ignore_index
    num_valid = int(valid.sum())
    if num_valid == 0 or num_valid < min_kept:
        return valid
    with torch.no_grad():
        probs = logits.detach().float().softmax(1)
        index = torch.where(valid, labels, torch.zeros_like(labels))[:, None]
        gt_prob = probs.gather(1, index)[:, 0]
        threshold = float(thresh)
        if min_kept > 0:
            kth = gt_prob[valid].kthvalue(min(num_valid, int(min_kept))).values
            threshold = max(threshold, float(kth))
        return valid & (gt_prob <= threshold)


def ohem_cross_entropy(logits: Tensor, labels: Tensor, thresh: float = 0.7,
                       min_kept: int = 100000, ignore_index: int = 255) -> Tensor:
    """Cross-entropy averaged over the pixels :func:`ohem_kept_mask` keeps.

    Args:
        logits: (B, C, h, w) logits; resized (bilinear) to the labels' size.
        labels: (B, H, W) int64 labels.
        thresh: See :func:`ohem_kept_mask`.
        min_kept: See :func:`ohem_kept_mask`.
        ignore_index: Unlabelled id.

    Returns:
        Tensor: () loss; 0 (with a graph) when nothing is kept.
    """
    if logits.shape[2:] != labels.shape[1:]:
        logits = F.interpolate(logits, size=labels.shape[1:], mode='bilinear',
                               align_corners=False)
    kept = ohem_kept_mask(logits, labels, thresh, min_kept, ignore_index)
    if not kept.any():
        return logits.sum() * 0
    target = labels.masked_fill(~kept, ignore_index)
    return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction='sum') / kept.sum()


@MODELS.register_module()
class OHEMCrossEntropyLoss(BaseDomainLoss):
    """OHEM cross-entropy on one domain's labels (MADAv2 Eq. 13).

    On ``domain='pseudo'`` (the teacher's pseudo-labelled, ACM-mixed target
    copy) it is Eq. 13's unlabelled term; on ``domain='target'`` (the
    ACP-pasted labelled images) its labelled term.

    Args:
        thresh: Probability threshold (0.7).
        min_kept: Fewest pixels kept per batch (100,000).
        ignore_index: Unlabelled id.
        domain: ``'source'``, ``'target'`` or ``'pseudo'``.
        loss_weight: Weight in the total loss.
        inputs: Default ``('seg_logits', 'gt_sem_seg')``.
        loss_name: Log key (default ``loss_ohem``).
    """
    default_inputs: Sequence[str] = ('seg_logits', 'gt_sem_seg')
    domains = STAGE2_DOMAINS

    def __init__(self, thresh: float = 0.7, min_kept: int = 100000, ignore_index: int = 255,
                 domain: str = 'pseudo', loss_weight: float = 1.0, inputs=None,
                 loss_name: str = 'loss_ohem') -> None:
        super().__init__(domain, loss_weight, inputs, loss_name)
        if not 0 <= thresh <= 1 or min_kept < 0:
            raise ValueError(f'OHEMCrossEntropyLoss: thresh must be in [0, 1] and min_kept >= 0, '
                             f'got {thresh} and {min_kept}')
        self.thresh, self.min_kept, self.ignore_index = float(thresh), int(min_kept), ignore_index

    def forward(self, seg_logits: Tensor, gt_sem_seg: Tensor) -> Tensor:
        """Unweighted OHEM cross-entropy of the batch."""
        return ohem_cross_entropy(seg_logits, gt_sem_seg, self.thresh, self.min_kept,
                                  self.ignore_index)
