"""Pure tensor math of multi-anchor selection (MADA, ICCV 2021; MADAv2, TPAMI).

Class-wise image vectors under a class mask (MADAv2 Eqs. 1, 4), the masks
at the feature resolution, k-means anchors (Eqs. 2-3) and the distances to
them (Eq. 5). :class:`mmada.active.MultiAnchorScorer` wires them into the
round engine; :mod:`mmada.active.anchors` re-exports every name.
"""
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

_MASK_RESOLUTIONS = ('feature', 'label')
#: The model output each mask resolution reads its prediction from.
PREDICTION_INPUT = {'feature': 'probs_lowres', 'label': 'probs'}


def nearest_indices(size_in: int, size_out: int, device=None) -> Tensor:
    """Source indices of ``F.interpolate(..., mode='nearest')`` along one axis.

    Args:
        size_in: Input length.
        size_out: Output length.
        device: Device of the indices.

    Returns:
        Tensor: (size_out,) int64 indices (torch's own rule: computed by it
        on ``arange(size_in)``).
    """
    ramp = torch.arange(size_in, dtype=torch.float64, device=device)[None, None]
    return F.interpolate(ramp, size=int(size_out), mode='nearest')[0, 0].long()


def nearest_resize(x: Tensor, size) -> Tensor:
    """``F.interpolate(x[None], size, mode='nearest')[0]`` for a (..., H, W) tensor, by
    selecting rows and columns (bit-identical, any dtype, many times faster on CPU).

    Args:
        x: (..., H, W) tensor.
        size: (h, w).

    Returns:
        Tensor: (..., h, w).
    """
    (h_in, w_in), (h, w) = x.shape[-2:], tuple(size)
    if (h_in, w_in) == (h, w):
        return x
    rows = nearest_indices(h_in, h, x.device)
    cols = nearest_indices(w_in, w, x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


def class_feature_vector(feats: Tensor, labels: Tensor, num_classes: int,
                         min_pixels: int = 10, ignore_index: int = 255) -> Tensor:
    """Class-wise mean features of one image, flattened (MADAv2 Eqs. 1 and 4).

    ``F_c = (1 / |L_c|) sum_{i in L_c} f_E(x)_i`` over the pixels ``L_c`` of
    class ``c`` in ``labels`` (the source label, Eq. 1, or the target
    prediction, Eq. 4), downsampled (nearest) to the feature resolution. A
    class with fewer than ``min_pixels`` feature pixels gives a zero row (the
    authors' code); the image vector is the C x D rows flattened.

    Args:
        feats: (D, h, w) decoder features.
        labels: (H, W) int64 class ids (``ignore_index`` or any id outside
            ``[0, C)`` is ignored).
        num_classes: C.
        min_pixels: Fewest feature pixels that give a class its row.
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (C * D,) float32 vector on the device of ``feats``.
    """
    if feats.dim() != 3 or labels.dim() != 2:
        raise ValueError(f'feats must be (D, h, w) and labels (H, W), got '
                         f'{tuple(feats.shape)} and {tuple(labels.shape)}')
    dim, h, w = feats.shape
    small = nearest_resize(labels.long(), (h, w)).to(feats.device)
    valid = (small >= 0) & (small < num_classes) & (small != ignore_index)
    index = torch.where(valid, small, torch.full_like(small, num_classes)).reshape(-1)
    pixels = feats.reshape(dim, -1).float().T.contiguous()  # (h * w, D): a fast index_add
    sums = torch.zeros(num_classes + 1, dim, device=feats.device).index_add_(0, index, pixels)
    counts = torch.bincount(index, minlength=num_classes + 1).float()
    means = sums[:num_classes] / counts[:num_classes, None].clamp_min(1)
    means[counts[:num_classes] < min_pixels] = 0
    return means.reshape(-1)


def prediction_at(probs: Tensor, size) -> Tensor:
    """The argmax prediction downsampled (nearest) to ``size``, computed at the
    sampled pixels only: nearest sampling picks the same pixel in every class
    channel, so this equals downsampling the full-resolution argmax.

    Args:
        probs: (C, H, W) probabilities.
        size: (h, w).

    Returns:
        Tensor: (h, w) int64 labels.
    """
    return nearest_resize(probs.float(), size).argmax(0)


def prediction_mask(feats: Tensor, pred: Tensor, mask_resolution: str = 'feature') -> Tensor:
    """The model's prediction at the feature resolution, the mask of MADAv2 Eq. 4.

    * ``'feature'`` (the authors' code): ``pred`` is the decode head's own
      low-resolution output (``probs_lowres``, the size of the decoder
      features) and the mask is its argmax;
    * ``'label'``: ``pred`` is the label-resolution softmax (``probs``: the
      low-resolution logits upsampled bilinearly) and the mask is its argmax
      sampled back with nearest (:func:`prediction_at`). Upsampling blends
      neighbouring cells, so near class borders the two masks differ.

    Args:
        feats: (D, h, w) decoder features.
        pred: (C, h', w') probabilities (``probs_lowres`` or ``probs``).
        mask_resolution: ``'feature'`` or ``'label'``.

    Returns:
        Tensor: (h, w) int64 labels.
    """
    if mask_resolution not in _MASK_RESOLUTIONS:
        raise ValueError(f'mask_resolution must be one of {_MASK_RESOLUTIONS}, got '
                         f'{mask_resolution!r}')
    if mask_resolution == 'label':
        return prediction_at(pred, feats.shape[1:])
    return nearest_resize(pred.argmax(0), feats.shape[1:])


def source_mask_labels(feats: Tensor, labels: Tensor, pred: Optional[Tensor] = None,
                       mask_resolution: str = 'feature', ignore_index: int = 255) -> Tensor:
    """Source labels at the feature resolution, optionally only where predicted right.

    The labels are downsampled (nearest) to the feature map; with ``pred``
    (``source_mask='label_and_correct'``, the authors' code) the pixels whose
    label differs from :func:`prediction_mask` are set to ``ignore_index``.

    Args:
        feats: (D, h, w) decoder features.
        labels: (H, W) int64 labels.
        pred: Optional probabilities for :func:`prediction_mask`.
        mask_resolution: ``'feature'`` or ``'label'``.
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (h, w) int64 labels.
    """
    small = nearest_resize(labels.long(), feats.shape[1:])
    if pred is None:
        return small
    wrong = prediction_mask(feats, pred, mask_resolution).to(small.device) != small
    return small.masked_fill(wrong, ignore_index)


def kmeans_anchors(vectors: np.ndarray, num_anchors: int, seed: int = 0,
                   max_iter: int = 20) -> np.ndarray:
    """Cluster centres of image vectors (MADAv2 Eqs. 2-3), with scikit-learn.

    Every vector is used (the authors' faiss call silently subsamples).

    Args:
        vectors: (N, d) image vectors.
        num_anchors: K.
        seed: k-means seed (initial centres).
        max_iter: Lloyd iterations (20 in the authors' code).

    Returns:
        np.ndarray: (K, d) float32 anchors.
    """
    from sklearn.cluster import KMeans
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(vectors) == 0:
        raise ValueError(f'vectors must be a non-empty (N, d) array, got {vectors.shape}')
    if not 1 <= num_anchors <= len(vectors):
        raise ValueError(f'{num_anchors} anchors need at least as many images, got '
                         f'{len(vectors)}')
    km = KMeans(n_clusters=num_anchors, n_init=1, max_iter=max_iter, random_state=seed)
    km.fit(vectors)
    return km.cluster_centers_.astype(np.float32)


def nearest_anchor_distance(vectors: Tensor, anchors: Tensor) -> Tensor:
    """Mean squared difference to the nearest anchor (``min_k ||v - A_k||^2 / d``).

    Args:
        vectors: (N, d) or (d,) image vectors.
        anchors: (K, d) anchors.

    Returns:
        Tensor: (N,) or () distances.
    """
    single = vectors.dim() == 1
    vectors = vectors.reshape(-1, vectors.shape[-1]).float()
    anchors = anchors.to(vectors).reshape(-1, vectors.shape[-1])
    dist = ((vectors[:, None] - anchors[None]) ** 2).mean(-1).min(1).values
    return dist[0] if single else dist


def dual_domain_distance(vectors: Tensor, source_anchors: Tensor,
                         target_anchors: Tensor) -> Tensor:
    """MADAv2's Dual_Domain_Distance (Eq. 5): nearest source + nearest target anchor.

    Args:
        vectors: (N, d) or (d,) target image vectors.
        source_anchors: (K, d) source anchors.
        target_anchors: (K', d) target (warm-up) anchors.

    Returns:
        Tensor: (N,) or () distances; the largest are selected.
    """
    return (nearest_anchor_distance(vectors, source_anchors) +
            nearest_anchor_distance(vectors, target_anchors))
