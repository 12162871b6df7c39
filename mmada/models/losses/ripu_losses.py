"""RIPU's training losses: negative learning (target), local consistency
(source). Pure functions first, then the registered loss modules."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmada.registry import MODELS
from .base import BaseDomainLoss


def negative_learning_loss(seg_logits: Tensor, tau: float = 0.05) -> Tensor:
    """Negative learning loss (RIPU, Eqs. 11-12).

    A class whose predicted probability is below ``tau`` is a negative
    pseudo label of the pixel (Eq. 11, a detached binary mask); the loss
    pushes those probabilities further down::

        L = -1 / Lambda * sum_{pixels} sum_c pi(p_c) log(1 - p_c)

    with ``Lambda`` the number of negative labels in the batch (Eq. 12). With
    no negative label the loss is 0 (still attached to the graph), never NaN.

    Args:
        seg_logits: (B, C, h, w) logits; softmax is taken over C.
        tau: Negative threshold (RIPU: 0.05).

    Returns:
        Tensor: Scalar loss.
    """
    if seg_logits.dim() < 2:
        raise ValueError(f'seg_logits must be (B, C, ...), got '
                         f'{tuple(seg_logits.shape)}')
    if not 0 < tau < 1:
        raise ValueError(f'tau must be in (0, 1), got {tau}')
    probs = seg_logits.float().softmax(dim=1)
    negative = (probs < tau).detach()
    num_negative = negative.sum()
    # Zero the non-negative entries before log1p: log(1 - p) at p -> 1 would
    # be -inf there and its gradient NaN, even if masked afterwards.
    log_keep = torch.log1p(-probs.masked_fill(~negative, 0.))
    if num_negative == 0:
        return log_keep.sum() * 0.
    return -log_keep.sum() / num_negative


def neighbour_mean(probs: Tensor) -> Tensor:
    """Mean over the 3x3 neighbourhood (in-image pixels only, itself included).

    Args:
        probs: (B, C, h, w) tensor.

    Returns:
        Tensor: (B, C, h, w) means; at borders over 6 pixels, at corners 4.
    """
    return F.avg_pool2d(
        probs, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def label_boundary_mask(labels: Tensor, ignore_index: int = 255) -> Tensor:
    """Pixels whose 3x3 neighbourhood holds another (non-ignored) label.

    Ignored pixels are never boundary pixels, and ignored neighbours do not
    make a boundary; the neighbourhood is clipped at the image border (no
    padding values count).

    Args:
        labels: (B, h, w) int64 labels.
        ignore_index: Label to ignore.

    Returns:
        Tensor: (B, h, w) bool mask.
    """
    valid = labels != ignore_index
    lab = labels.float()[:, None]
    # max over valid neighbours: ignored ones replaced by -1 (below any label)
    high = F.max_pool2d(
        torch.where(valid[:, None], lab, torch.full_like(lab, -1.)),
        3,
        stride=1,
        padding=1)[:, 0]
    # min over valid neighbours, as -max(-x): ignored ones become +inf
    low = -F.max_pool2d(
        torch.where(valid[:, None], -lab, torch.full_like(lab, -float('inf'))),
        3,
        stride=1,
        padding=1)[:, 0]
    own = labels.float()
    return valid & ((high > own) | (low < own))


def local_consistency_loss(seg_logits: Tensor,
                           mask: Optional[Tensor] = None) -> Tensor:
    """Local consistency regularisation (RIPU, Eq. 10).

    ``L = 1/|I| sum_{(i,j)} || P(i,j) - mean_{N_1(i,j)} P ||_1`` where
    ``N_1(i,j)`` is the 3x3 neighbourhood clipped to the image (the pixel
    itself included) and the L1 norm sums over classes. With ``mask`` the
    average runs over the masked pixels only (0 when none is masked).

    Args:
        seg_logits: (B, C, h, w) logits; softmax is taken over C.
        mask: Optional (B, h, w) bool pixels to average over.

    Returns:
        Tensor: Scalar loss.
    """
    if seg_logits.dim() != 4:
        raise ValueError(f'seg_logits must be (B, C, h, w), got '
                         f'{tuple(seg_logits.shape)}')
    probs = seg_logits.float().softmax(dim=1)
    discrepancy = (probs - neighbour_mean(probs)).abs().sum(dim=1)
    if mask is None:
        return discrepancy.mean()
    if mask.shape != discrepancy.shape:
        raise ValueError(f'mask {tuple(mask.shape)} does not match the '
                         f'logits {tuple(discrepancy.shape)}')
    if not mask.any():
        return discrepancy.sum() * 0.
    return discrepancy[mask].mean()


@MODELS.register_module()
class NegativeLearningLoss(BaseDomainLoss):
    """RIPU's negative learning loss on the target domain (Eqs. 11-12).

    See :func:`negative_learning_loss`. The loss is applied to every target
    pixel of the decode-head logits at feature resolution.

    Args:
        tau: Negative threshold (RIPU: 0.05).
        domain: Domain the loss is applied to (RIPU: ``'target'``).
        loss_weight: Weight in the total objective (RIPU's alpha_2 = 1.0).
        inputs: Segmentor outputs to use (default ``('seg_logits',)``).
        loss_name: Log key.
    """
    default_inputs = ('seg_logits', )

    def __init__(self,
                 tau: float = 0.05,
                 domain: str = 'target',
                 loss_weight: float = 1.0,
                 inputs: Optional[Sequence[str]] = None,
                 loss_name: str = 'loss_nl') -> None:
        super().__init__(domain, loss_weight, inputs, loss_name)
        if not 0 < tau < 1:
            raise ValueError(f'NegativeLearningLoss: tau must be in (0, 1), '
                             f'got {tau}')
        self.tau = float(tau)

    def forward(self, seg_logits: Tensor, **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            seg_logits: (B, C, h, w) logits.

        Returns:
            Tensor: Scalar unweighted loss.
        """
        return negative_learning_loss(seg_logits, self.tau)


@MODELS.register_module()
class LocalConsistencyLoss(BaseDomainLoss):
    """RIPU's local consistency regularisation on the source domain (Eq. 10).

    Two choices, each with the paper's form as default:

    * ``resolution='input'`` (default; the authors upsample the prediction
      to the input size before the loss): the logits are bilinearly
      upsampled to the input size and the 3x3 neighbourhoods are 3x3 input
      pixels. ``resolution='logits'`` keeps the decode-head resolution
      (1/8 for DeepLab, where a 3x3 neighbourhood spans 24x24 input pixels).
    * ``boundary_only=False`` (default; the paper's Eq. 10): the L1 distance
      between every pixel's softmax and the mean softmax of its 3x3
      neighbourhood, averaged over all pixels. ``boundary_only=True`` (the
      authors' code): averaged only over pixels whose 3x3 neighbourhood
      contains another source label (class boundaries; see
      :func:`label_boundary_mask`), ignored pixels excluded; needs
      ``gt_sem_seg``. At ``resolution='logits'`` the labels are
      nearest-downsampled to the logits' size (coarser boundary).

    Differences from the authors' code: neighbourhood means use in-image
    pixels only (they use replicate padding), image borders are not
    boundaries (their zero-padded Laplacian marks them), ignored neighbours
    do not make a boundary, and an empty mask gives 0 rather than NaN.

    Args:
        boundary_only: Average over label boundaries only.
        resolution: ``'input'`` or ``'logits'``: where the neighbourhoods
            are taken.
        ignore_index: Ignored label value.
        align_corners: ``align_corners`` of the logits upsampling.
        domain: Domain the loss is applied to (RIPU: ``'source'``).
        loss_weight: Weight in the total objective (RIPU's alpha_1 = 0.1).
        inputs: Segmentor outputs to use (default ``('seg_logits',)``, plus
            ``'gt_sem_seg'`` when ``boundary_only``, else ``'img'`` at input
            resolution, for its size).
        loss_name: Log key.
    """
    default_inputs = ('seg_logits', )

    def __init__(self,
                 boundary_only: bool = False,
                 resolution: str = 'input',
                 ignore_index: int = 255,
                 align_corners: bool = False,
                 domain: str = 'source',
                 loss_weight: float = 0.1,
                 inputs: Optional[Sequence[str]] = None,
                 loss_name: str = 'loss_lcr') -> None:
        if resolution not in ('input', 'logits'):
            raise ValueError(f"LocalConsistencyLoss: resolution must be "
                             f"'input' or 'logits', got {resolution!r}")
        if inputs is None:
            inputs = ('seg_logits', )
            if boundary_only:
                inputs += ('gt_sem_seg', )
            elif resolution == 'input':
                inputs += ('img', )
        super().__init__(domain, loss_weight, inputs, loss_name)
        if boundary_only and 'gt_sem_seg' not in self.inputs:
            raise ValueError('LocalConsistencyLoss: boundary_only needs '
                             "'gt_sem_seg' in inputs")
        if resolution == 'input' and not {'img', 'gt_sem_seg'} & set(self.inputs):
            raise ValueError("LocalConsistencyLoss: resolution='input' needs "
                             "'img' or 'gt_sem_seg' in inputs (for the input size)")
        self.boundary_only = boundary_only
        self.resolution = resolution
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def _upsample(self, seg_logits: Tensor, size: Sequence[int]) -> Tensor:
        """Bilinear upsampling of the logits to the input ``size``."""
        if tuple(seg_logits.shape[-2:]) == tuple(size):
            return seg_logits
        return F.interpolate(seg_logits, size=tuple(size), mode='bilinear',
                             align_corners=self.align_corners)

    def forward(self,
                seg_logits: Tensor,
                gt_sem_seg: Optional[Tensor] = None,
                img: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            seg_logits: (B, C, h, w) logits.
            gt_sem_seg: (B, H, W) or (B, 1, H, W) labels, for
                ``boundary_only``.
            img: (B, 3, H, W) input batch (its size only).

        Returns:
            Tensor: Scalar unweighted loss.
        """
        labels = None
        if gt_sem_seg is not None:
            labels = gt_sem_seg[:, 0] if gt_sem_seg.dim() == 4 else gt_sem_seg
        if self.boundary_only and labels is None:
            raise ValueError('LocalConsistencyLoss(boundary_only=True) needs '
                             'gt_sem_seg')
        if self.resolution == 'input':
            size = labels.shape[-2:] if labels is not None else img.shape[-2:]
            seg_logits = self._upsample(seg_logits, size)
        if not self.boundary_only:
            return local_consistency_loss(seg_logits)
        if self.resolution == 'logits':
            labels = F.interpolate(
                labels[:, None].float(),
                size=seg_logits.shape[-2:],
                mode='nearest')[:, 0].long()
        mask = label_boundary_mask(labels.long(), self.ignore_index)
        return local_consistency_loss(seg_logits, mask)
