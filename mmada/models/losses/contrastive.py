"""Pure tensor functions of ADA-MCU's multi-level contrastive units and DCCM.

ADA-MCU: "Active Domain Adaptation with Multi-level Contrastive Units for
Semantic Segmentation" (Sec. III-C, III-D). The registered loss that wires
them up is :class:`~mmada.models.losses.MultiLevelContrastiveLoss`.

* :func:`confusion_counts`, :func:`confusion_rates`, :func:`dccm_update`:
  the dynamic categories correlation matrix (Eqs. 7-8).
* :func:`weighted_info_nce`: the DCCM-weighted InfoNCE of the pixel-to-pixel
  loss (Eqs. 9-10); the class-centre-to-class-centre loss (Eq. 11) is the
  same function on :func:`class_centres`.
* :func:`sample_indices`, :func:`gather_points`: bounded sampling of pixels
  and reading features at label-resolution pixels.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def confusion_counts(pred: Tensor, labels: Tensor, num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """Pixel counts ``M[u, v]`` of class ``u`` predicted as ``v``.

    Args:
        pred: Predicted classes, any shape, int64.
        labels: Ground truth of the same shape; ``ignore_index`` (and any
            value outside ``[0, num_classes)``) is not counted.
        num_classes: C.
        ignore_index: Unlabelled value.

    Returns:
        Tensor: (C, C) float64 counts; row ``u`` sums to ``M^{c_u}``, the
        number of labelled pixels of class ``u``.
    """
    if pred.shape != labels.shape:
        raise ValueError(f'pred {tuple(pred.shape)} and labels {tuple(labels.shape)} '
                         'must have the same shape')
    labels, pred = labels.reshape(-1).long(), pred.reshape(-1).long()
    keep = (labels != ignore_index) & (labels >= 0) & (labels < num_classes)
    flat = labels[keep] * num_classes + pred[keep].clamp(0, num_classes - 1)
    counts = torch.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).double()


def confusion_rates(counts: Tensor) -> Tuple[Tensor, Tensor]:
    """Class confusion rates of one iteration (ADA-MCU, Eq. 7).

    ``R[u, v] = M^{(c_u, c_v)} / M^{c_u}``: the share of the labelled pixels
    of class ``u`` predicted as ``v``. The diagonal ``R[u, u]`` is the share
    predicted correctly, so every observed row sums to 1.

    Args:
        counts: (C, C) counts from :func:`confusion_counts`.

    Returns:
        tuple[Tensor, Tensor]: (C, C) rates (rows of unseen classes are 0)
        and the (C,) bool mask of classes with at least one labelled pixel.
    """
    totals = counts.sum(dim=1)
    seen = totals > 0
    rates = counts / totals.clamp(min=1)[:, None]
    return rates, seen


def dccm_update(dccm: Tensor, rates: Tensor, seen: Tensor, beta: float) -> Tensor:
    """EMA update of the correlation matrix (ADA-MCU, Eq. 8).

    ``w_tau[u, v] = beta * w_{tau-1}[u, v] + (1 - beta) * R[u, v]`` for every
    class ``u`` seen in this iteration; the rows of unseen classes keep their
    value (an iteration without pixels of ``u`` says nothing about how ``u``
    is confused, and a zero row would wrongly decay it).

    Args:
        dccm: (C, C) current matrix W.
        rates: (C, C) rates R of this iteration (:func:`confusion_rates`).
        seen: (C,) bool rows to update.
        beta: EMA momentum in [0, 1).

    Returns:
        Tensor: The new (C, C) matrix (same dtype as ``dccm``).
    """
    if not 0 <= beta < 1:
        raise ValueError(f'beta must be in [0, 1), got {beta}')
    new = beta * dccm.double() + (1 - beta) * rates.double()
    return torch.where(seen[:, None], new, dccm.double()).to(dccm.dtype)


def weighted_info_nce(anchors: Tensor,
                      anchor_labels: Tensor,
                      samples: Tensor,
                      sample_labels: Tensor,
                      temperature: float,
                      weights: Optional[Tensor] = None,
                      exclude: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """DCCM-weighted InfoNCE per anchor (ADA-MCU, Eqs. 9-10).

    For an anchor ``p`` of class ``u``, each positive ``p+`` (a sample of
    class ``u``) gives, with ``l(q) = w[u, v(q)] * p . q / lambda``::

        H_p = exp(l(p+)) / (exp(l(p+)) + sum_{p- in N_p} exp(l(p-)))

    and the anchor's loss is ``1/|P_p| sum_{p+} -log H_p`` (Eq. 9), computed
    as ``logaddexp(l(p+), logsumexp_{p-} l(p-)) - l(p+)`` (stable; 0 when
    there is no negative). With ``weights=None`` every ``w`` is 1 (plain
    InfoNCE, Eq. 12). The class-centre loss (Eq. 11) is this function with
    class centres as anchors and samples.

    Args:
        anchors: (A, D) anchor embeddings (L2-normalised by the caller).
        anchor_labels: (A,) int64 classes.
        samples: (S, D) positive/negative candidates.
        sample_labels: (S,) int64 classes.
        temperature: lambda > 0.
        weights: Optional (C, C) matrix W; ``w[u, v]`` scales the logits of
            an anchor of class ``u`` against a sample of class ``v``.
        exclude: Optional (A, S) bool pairs to leave out (an anchor and the
            same pixel among the samples).

    Returns:
        tuple[Tensor, Tensor]: (A,) loss per anchor (0 where it has no
        positive) and the (A,) bool mask of anchors with a positive.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    logits = anchors @ samples.t() / temperature
    if weights is not None:
        logits = logits * weights[anchor_labels][:, sample_labels].to(logits.dtype)
    same = anchor_labels[:, None] == sample_labels[None, :]
    keep = torch.ones_like(same) if exclude is None else ~exclude
    positive, negative = same & keep, ~same & keep
    neg_lse = torch.logsumexp(logits.masked_fill(~negative, float('-inf')), dim=1,
                              keepdim=True)
    per_pair = torch.logaddexp(logits, neg_lse) - logits
    num_pos = positive.sum(dim=1)
    per_anchor = per_pair.masked_fill(~positive, 0.).sum(dim=1) / num_pos.clamp(min=1)
    return per_anchor, num_pos > 0


def class_centres(embeddings: Tensor, labels: Tensor,
                  num_classes: int) -> Tuple[Tensor, Tensor]:
    """Mean embedding of each class, L2-normalised (ADA-MCU, Sec. III-C-1).

    Args:
        embeddings: (N, D) embeddings.
        labels: (N,) int64 classes in ``[0, num_classes)``.
        num_classes: C.

    Returns:
        tuple[Tensor, Tensor]: (K, D) centres of the K classes present and
        their (K,) labels, in increasing class order.
    """
    present = torch.unique(labels)
    one_hot = (labels[None, :] == present[:, None]).to(embeddings.dtype)
    sums = one_hot @ embeddings
    centres = sums / one_hot.sum(dim=1, keepdim=True)
    return F.normalize(centres, dim=1), present


def sample_indices(mask: Tensor, max_samples: int,
                   generator: Optional[torch.Generator] = None) -> Tensor:
    """Uniform sample of at most ``max_samples`` True positions, no repeats.

    Args:
        mask: Bool tensor, any shape.
        max_samples: Upper bound (all positions when fewer).
        generator: CPU generator for a reproducible draw.

    Returns:
        Tensor: int64 flat indices into ``mask`` (increasing order).
    """
    idx = mask.reshape(-1).nonzero(as_tuple=False)[:, 0]
    if idx.numel() <= max_samples:
        return idx
    pick = torch.randperm(idx.numel(), generator=generator)[:max_samples]
    return idx[pick.to(idx.device)].sort().values


def gather_points(maps: Tensor, flat_idx: Tensor, size: Tuple[int, int],
                  align_corners: bool = False) -> Tensor:
    """Values of a feature map at pixels of a larger (label) grid.

    Equal to ``F.interpolate(maps, size, mode='bilinear',
    align_corners=align_corners)`` read at those pixels, without
    upsampling the whole map (the cost is the number of points).

    Args:
        maps: (D, h, w) one image's map.
        flat_idx: (N,) int64 flat indices into the (H, W) label grid.
        size: (H, W) of the label grid.
        align_corners: As in the upsampling of the logits.

    Returns:
        Tensor: (N, D) values, in the dtype of ``maps``.
    """
    height, width = size
    # float32 coordinates and values: half precision (AMP) cannot address
    # every pixel of a large label grid exactly.
    ys = torch.div(flat_idx, width, rounding_mode='floor').float()
    xs = (flat_idx % width).float()
    if align_corners:
        gx = xs / max(width - 1, 1) * 2 - 1
        gy = ys / max(height - 1, 1) * 2 - 1
    else:
        gx = (2 * xs + 1) / width - 1
        gy = (2 * ys + 1) / height - 1
    grid = torch.stack([gx, gy], dim=-1)[None, None]  # (1, 1, N, 2)
    out = F.grid_sample(maps[None].float(), grid, mode='bilinear', padding_mode='border',
                        align_corners=align_corners)
    return out[0, :, 0].t().to(maps.dtype)
