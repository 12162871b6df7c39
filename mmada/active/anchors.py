"""Multi-anchor image selection (MADA, ICCV 2021; MADAv2, Ning et al., TPAMI).

Pure functions for the math and :class:`MultiAnchorScorer`, a pool-level
scorer of the round engine: ``prepare_round`` runs a pass over the source pool
(and, for MADAv2, over the target pool), turns every image into its class-wise
feature vector, clusters the vectors into anchors with k-means, and keeps the
anchors as its checkpointed state; scoring then gives each target image its
distance to the anchors (pair it with ``ImageUnit`` and an ``images`` budget
picked dataset-wide: the largest distances are labelled).
"""
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmada.registry import ACQUISITIONS
from .base import BaseScorer, ImageContext, RoundInfo

_MODES = ('mada', 'madav2')
_SOURCE_MASKS = ('label', 'label_and_correct')
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


@ACQUISITIONS.register_module()
class MultiAnchorScorer(BaseScorer):
    """Image distance to multiple anchors (MADA; MADAv2 Eq. 5), a pool-level scorer.

    ``prepare_round`` runs a source pass (decoder features + labels) and, for
    ``mode='madav2'``, a target pass (features + prediction), clusters the
    image vectors into ``num_anchors`` anchors per domain, and saves them in
    the scorer state (checkpoints) and, when the round has a work dir, in
    ``<work_dir>/anchors/anchors_round_XXXX.npz``. Every pixel of a target
    image then scores its image's distance: MADA, the nearest source anchor;
    MADAv2, the nearest source plus the nearest target anchor. Pair it with
    ``ImageUnit(reduce='mean')``, ``GlobalTopNAllocator`` and an ``images``
    budget: the images with the *largest* distance are labelled (Eq. 5's text
    and the authors' code; Algorithm 1's "smallest" is a typo).

    With ``num_anchors=1`` and ``mode='mada'`` it is Table 4's single-centroid
    prototype baseline (Eq. 19).

    Args:
        num_anchors: K anchors per domain (10 in the papers; Fig. 6 sweeps it).
        mode: ``'mada'`` or ``'madav2'``.
        source_mask: ``'label'`` (Eq. 1, the default) or
            ``'label_and_correct'`` (the authors' code: labelled pixels the
            model also predicts correctly).
        mask_resolution: Where the prediction of the masks is read
            (:func:`prediction_mask`): ``'feature'`` (the default and the
            authors' code: argmax of the decode head's low-resolution output,
            the model output ``probs_lowres``) or ``'label'`` (argmax of the
            label-resolution softmax sampled back with nearest).
        min_pixels: Fewest feature pixels that give a class its row.
        seed: k-means seed.
        kmeans_iters: k-means iterations.
    """
    def __init__(self, num_anchors: int = 10, mode: str = 'madav2', source_mask: str = 'label',
                 min_pixels: int = 10, seed: int = 0, kmeans_iters: int = 20,
                 mask_resolution: str = 'feature') -> None:
        if mode not in _MODES:
            raise ValueError(f'MultiAnchorScorer: mode must be one of {_MODES}, got {mode!r}')
        if source_mask not in _SOURCE_MASKS:
            raise ValueError(f'MultiAnchorScorer: source_mask must be one of {_SOURCE_MASKS}, '
                             f'got {source_mask!r}')
        if mask_resolution not in _MASK_RESOLUTIONS:
            raise ValueError(f'MultiAnchorScorer: mask_resolution must be one of '
                             f'{_MASK_RESOLUTIONS}, got {mask_resolution!r}')
        if int(num_anchors) != num_anchors or num_anchors < 1:
            raise ValueError(f'MultiAnchorScorer: num_anchors must be a positive int, got '
                             f'{num_anchors!r}')
        self.num_anchors, self.mode, self.source_mask = int(num_anchors), mode, source_mask
        self.min_pixels, self.seed, self.kmeans_iters = int(min_pixels), int(seed), int(kmeans_iters)
        self.mask_resolution = mask_resolution
        #: The prediction the masks are read from; the round passes it by name.
        self.pred_name = PREDICTION_INPUT[mask_resolution]
        self.inputs = ('feats', self.pred_name)
        self.anchors: Dict[str, Tensor] = {}
        self.num_classes: Optional[int] = None

    def check_pools(self, sizes: Dict[str, int]) -> None:
        """K-means needs at least K images in every clustered pool.

        Args:
            sizes: Number of images of each pool.
        """
        pools = ('source', 'target') if self.mode == 'madav2' else ('source', )
        if sizes.get('source') is None:
            raise ValueError('MultiAnchorScorer needs a source pool: train on a '
                             'TwoDomainDataset (its anchors are source anchors, Eqs. 1-3)')
        for pool in pools:
            if sizes[pool] < self.num_anchors:
                raise ValueError(
                    f'MultiAnchorScorer: K = {self.num_anchors} anchors need at least as many '
                    f'{pool} images, the {pool} pool has {sizes[pool]}: set '
                    f'active_learning.scorer.num_anchors <= {sizes[pool]}')

    # ---------------------------------------------------------------- passes
    def _vectors(self, info: RoundInfo, pool: str) -> np.ndarray:
        """(N, C * D) vectors of every image of ``pool`` (all ranks)."""
        num_classes = info.num_classes

        def source_vector(idx: int, out: dict):
            pred = out[self.pred_name] if self.source_mask == 'label_and_correct' else None
            labels = source_mask_labels(out['feats'], out['gt_sem_seg'], pred,
                                        self.mask_resolution)
            return class_feature_vector(out['feats'], labels, num_classes,
                                        self.min_pixels).cpu().numpy()

        def target_vector(idx: int, out: dict):
            mask = prediction_mask(out['feats'], out[self.pred_name], self.mask_resolution)
            return class_feature_vector(out['feats'], mask, num_classes,
                                        self.min_pixels).cpu().numpy()

        if pool == 'source':
            names = ['feats', 'gt_sem_seg'] + (
                [self.pred_name] if self.source_mask == 'label_and_correct' else [])
            kept = info.passes.run('source', names, source_vector)
        else:
            kept = info.passes.run('target', ['feats', self.pred_name], target_vector)
        return np.stack(list(kept.values()))

    def prepare_round(self, info: RoundInfo) -> None:
        """Source (and target) passes, k-means anchors (MADAv2 Alg. 1 steps 1-3).

        Args:
            info: The round; ``info.passes`` runs the pool passes.
        """
        if info.passes is None:
            raise ValueError('MultiAnchorScorer needs pool passes (run it in an acquisition '
                             'round of the engine)')
        self.num_classes = info.num_classes
        anchors = {'source': kmeans_anchors(self._vectors(info, 'source'), self.num_anchors,
                                            self.seed, self.kmeans_iters)}
        if self.mode == 'madav2':
            anchors['target'] = kmeans_anchors(self._vectors(info, 'target'), self.num_anchors,
                                               self.seed, self.kmeans_iters)
        self.anchors = {k: torch.from_numpy(v) for k, v in anchors.items()}
        if getattr(info, 'work_dir', None):
            self._save(info.work_dir, info.round_index)

    def _save(self, work_dir: str, round_index: int) -> None:
        """Write the anchors for users to inspect (rank 0, atomic)."""
        from mmengine.dist import is_main_process
        if not is_main_process():
            return
        folder = osp.join(work_dir, 'anchors')
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, f'anchors_round_{round_index:04d}.npz')
        tmp = path + '.tmp'
        with open(tmp, 'wb') as f:
            np.savez(f, **{k: v.numpy() for k, v in self.anchors.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict:
        """The anchors (tensors), restored on ``--resume``."""
        return {f'{k}_anchors': v.clone() for k, v in self.anchors.items()}

    def load_state_dict(self, state: dict) -> None:
        """Restore anchors saved by :meth:`state_dict`."""
        self.anchors = {k[:-len('_anchors')]: v.float() for k, v in state.items()
                        if k.endswith('_anchors')}

    # --------------------------------------------------------------- scoring
    def image_distance(self, feats: Tensor, pred: Tensor) -> Tensor:
        """The image's distance to the anchors (Eq. 5 for MADAv2).

        Args:
            feats: (D, h, w) decoder features.
            pred: (C, h', w') probabilities of the image (``probs_lowres`` or
                ``probs``, as :attr:`mask_resolution` says); their argmax at
                the feature resolution is the Eq. 4 mask.

        Returns:
            Tensor: () distance.
        """
        if 'source' not in self.anchors:
            raise RuntimeError('MultiAnchorScorer: no anchors (prepare_round first)')
        vector = class_feature_vector(feats, prediction_mask(feats, pred, self.mask_resolution),
                                      pred.shape[0], self.min_pixels)
        if vector.numel() != self.anchors['source'].shape[1]:
            raise ValueError(
                f'anchors have {self.anchors["source"].shape[1]} dimensions, the model gives '
                f'{vector.numel()} (C x D = {pred.shape[0]} x {feats.shape[0]}): anchors of '
                'another model or label space')
        if self.mode == 'mada':
            return nearest_anchor_distance(vector, self.anchors['source'])
        return dual_domain_distance(vector, self.anchors['source'], self.anchors['target'])

    def __call__(self, feats: Tensor, ctx: ImageContext, **pred: Tensor) -> Tensor:
        """Every pixel scores its image's distance (an image unit reduces it).

        Args:
            feats: (D, h, w) decoder features.
            ctx: Per-image context (its ``labelled`` mask gives the label shape).
            **pred: The prediction named :attr:`pred_name` (``probs_lowres=``
                or ``probs=``).

        Returns:
            Tensor: (H, W) constant map at the label resolution.
        """
        if set(pred) != {self.pred_name}:
            raise TypeError(f'MultiAnchorScorer(mask_resolution={self.mask_resolution!r}) '
                            f'takes {self.pred_name}=, got {sorted(pred)}')
        return self.image_distance(feats, pred[self.pred_name]).expand(
            ctx.labelled.shape).contiguous()
