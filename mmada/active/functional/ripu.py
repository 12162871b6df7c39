"""RIPU acquisition: region impurity, region uncertainty and their product
(Xie et al., "Towards Fewer Annotations: Active Learning via Region Impurity
and Prediction Uncertainty for Domain Adaptive Semantic Segmentation", CVPR
2022, Eqs. 3-7)."""
import math
from typing import Optional

import torch
from torch import Tensor

from .box import SMALL_BOX_RADIUS, BoxSums, SmallBoxCounts, box_count, box_mean
from .checks import check_probs, check_radius
from .uncertainty import compact_pseudo_labels, pixel_entropy


def region_impurity(labels: Tensor,
                    num_classes: int,
                    k: int,
                    normalize: bool = False) -> Tensor:
    """Region impurity of every pixel's window (RIPU, Eqs. 3-4).

    ``P = -sum_c (|N_k^c| / |N_k|) log(|N_k^c| / |N_k|)`` where ``N_k^c`` are
    the in-window pixels whose pseudo label is ``c`` and ``|N_k|`` the number
    of in-image pixels of the window. The per-class box counts are computed
    one class at a time in reused buffers (classes absent from ``labels`` are
    skipped), so the peak memory is a few (H, W) maps, never (C, H, W).

    Args:
        labels: (H, W) integer pseudo labels in [0, num_classes).
        num_classes: Number of classes C.
        k: Window radius.
        normalize: Divide by ``log C`` so that the impurity lies in [0, 1].

    Returns:
        Tensor: (H, W) float32 impurity.
    """
    if labels.dim() != 2 or labels.is_floating_point():
        raise ValueError('labels must be an (H, W) integer tensor')
    k = check_radius(k)
    if num_classes < 1 or (normalize and num_classes < 2):
        raise ValueError(f'invalid num_classes={num_classes} for '
                         f'normalize={normalize}')
    if labels.numel() == 0:
        return torch.zeros(
            labels.shape, dtype=torch.float32, device=labels.device)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'labels outside [0, {num_classes})')
    present = torch.bincount(labels.reshape(-1), minlength=num_classes)
    classes = torch.nonzero(present).reshape(-1).tolist()
    if num_classes <= 256:
        labels = labels.to(torch.uint8)  # cheaper comparisons
    if k <= SMALL_BOX_RADIUS:
        impurity = _impurity_small_k(labels, classes, k)
    else:
        impurity = _impurity_large_k(labels, classes, k)
    if normalize:
        impurity.div_(math.log(num_classes))
    return impurity


def _impurity_small_k(labels: Tensor, classes: list, k: int) -> Tensor:
    """Eq. 4 with byte window counts (:class:`SmallBoxCounts`), (H, W).

    Per class, in buffers of one (H, W) map each: the class mask is written
    straight into the padded count buffer, counted with shifted byte adds,
    and ``share log share`` subtracted in place. The arithmetic per pixel is
    that of :func:`_impurity_large_k` (the same float32 share, clamp, log,
    product and the same order of the subtractions), so both give the same
    values.
    """
    count = box_count(labels.shape, k, labels.device).to(torch.float32)
    counts = SmallBoxCounts(labels.shape, k, labels.device)
    share, term = torch.empty_like(count), torch.empty_like(count)
    impurity = torch.zeros_like(count)
    for cls in classes:
        torch.eq(labels, cls, out=counts.inner)
        torch.div(counts(), count, out=share)
        torch.clamp(share, min=1e-30, out=term)  # 0 log 0 = 0
        impurity.sub_(term.log_().mul_(share))
    return impurity


def _impurity_large_k(labels: Tensor, classes: list, k: int) -> Tensor:
    """Eq. 4 with cumulative-sum window counts (:class:`BoxSums`), (H, W).

    Everything lives in the transposed (W, H) layout of :class:`BoxSums`
    until the end; the cost per class does not depend on ``k``.
    """
    count = box_count(labels.shape, k,
                      labels.device).t().contiguous().to(torch.float32)
    sums = BoxSums(labels.shape, k, torch.int32, labels.device)
    is_cls = torch.empty(labels.shape, dtype=torch.bool, device=labels.device)
    share, term = torch.empty_like(count), torch.empty_like(count)
    impurity = torch.zeros_like(count)
    for cls in classes:
        torch.eq(labels, cls, out=is_cls)
        share.copy_(sums.transposed(is_cls)).div_(count)  # one dtype: fast
        torch.clamp(share, min=1e-30, out=term)  # 0 log 0 = 0
        impurity.sub_(term.log_().mul_(share))
    return impurity.t().contiguous()


def region_uncertainty(entropy: Tensor, k: int) -> Tensor:
    """Region uncertainty: mean pixel entropy over the window (RIPU, Eq. 6).

    Args:
        entropy: (H, W) pixel entropy (RIPU Eq. 5).
        k: Window radius.

    Returns:
        Tensor: (H, W) mean entropy over the in-image pixels of the window.
    """
    return box_mean(entropy, k)


def ripu_score(probs: Tensor,
               k: int = 1,
               mode: str = 'region',
               normalize: bool = True,
               use_impurity: bool = True,
               use_uncertainty: bool = True,
               labels: Optional[Tensor] = None) -> Tensor:
    """RIPU acquisition ``A = U * P`` (RIPU, Eq. 7).

    * ``mode='region'`` (RA): ``U`` is the region uncertainty (Eq. 6).
    * ``mode='pixel'`` (PA): ``U`` is the pixel entropy (Eq. 5).

    ``P`` is the region impurity of the pseudo labels ``argmax_c p_c``
    (Eq. 4). Switching one factor off gives RIPU's ablations (Table 3):
    impurity only (a) or uncertainty only (b).

    Args:
        probs: (C, H, W) softmax probabilities.
        k: Window radius of impurity and region uncertainty.
        mode: ``'region'`` or ``'pixel'``.
        normalize: Divide entropy and impurity by ``log C`` (as the authors'
            code does); a constant factor, so it never changes a ranking.
        use_impurity: Multiply by the region impurity.
        use_uncertainty: Multiply by the (region or pixel) uncertainty.
        labels: The pseudo labels of ``probs`` if already computed (any
            integer dtype, e.g. from :func:`compact_pseudo_labels`).

    Returns:
        Tensor: (H, W) float32 non-negative scores.
    """
    check_probs(probs)
    k = check_radius(k)
    if mode not in ('region', 'pixel'):
        raise ValueError(f"mode must be 'region' or 'pixel', got {mode!r}")
    if not (use_impurity or use_uncertainty):
        raise ValueError('at least one of use_impurity and use_uncertainty '
                         'must be True')
    score = None
    if use_uncertainty:
        score = pixel_entropy(probs.float(), normalize=normalize)
        if mode == 'region':
            score = region_uncertainty(score, k)
        score = score.to(torch.float32)
    if use_impurity:
        if labels is None:
            labels = compact_pseudo_labels(probs)
        impurity = region_impurity(labels, probs.shape[0], k, normalize)
        score = impurity if score is None else score.mul_(impurity)
    return score
