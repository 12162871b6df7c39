"""Multi-anchor soft alignment of target features (MADA, ICCV 2021; MADAv2 Eqs. 8, 14).

Every target image gives its class-wise mean decoder features (the C x D
vector of MADAv2 Eq. 4, masked by the model's own prediction); the loss
pulls it towards a memory of V target anchors,
``L = V / sum_v 1 / d(F, A_v)`` (Eq. 14, a soft minimum over the anchors),
and the anchor nearest to each image moves towards it by an exponential
moving average, ``A_v <- alpha A_v + (1 - alpha) F`` (Eq. 8, alpha = 0.999).
``d`` is the mean squared difference (squared L2 / (C x D)), as in the
authors' code and in :mod:`mmada.active.anchors`.

The anchors are buffers of :class:`SoftAnchorAlignmentLoss`, hence in every
checkpoint; they start from k-means on the stage-1 model's target vectors
(:class:`~mmada.engine.hooks.TargetAnchorInitHook` or a file written by
:class:`~mmada.active.MultiAnchorScorer`).
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.logging import MessageHub
from torch import Tensor

from mmada.registry import MODELS
from mmada.utils.errors import UserFacingError
from .base import BaseDomainLoss
from .ohem import STAGE2_DOMAINS


def class_mean_vectors(feats: Tensor, labels: Tensor, num_classes: int,
                       min_pixels: int = 10) -> Tensor:
    """Class-wise mean features of a batch, flattened (MADAv2 Eqs. 1 and 4).

    The batched, differentiable form of
    :func:`mmada.active.anchors.class_feature_vector` (same values): for
    image ``b`` and class ``c`` the mean of ``feats[b]`` over the pixels
    labelled ``c``, a zero row when fewer than ``min_pixels`` are.

    Args:
        feats: (B, D, h, w) decoder features.
        labels: (B, h, w) int64 class ids at the feature resolution (any id
            outside ``[0, C)`` is ignored).
        num_classes: C.
        min_pixels: Fewest pixels that give a class its row.

    Returns:
        Tensor: (B, C * D) vectors.
    """
    b, d, h, w = feats.shape
    if labels.shape != (b, h, w):
        raise ValueError(f'labels must be {(b, h, w)}, got {tuple(labels.shape)}')
    valid = (labels >= 0) & (labels < num_classes)
    onehot = F.one_hot(torch.where(valid, labels, num_classes), num_classes + 1)
    onehot = onehot[..., :num_classes].reshape(b, h * w, num_classes).to(feats.dtype)
    sums = torch.einsum('bdn,bnc->bcd', feats.reshape(b, d, h * w), onehot)
    counts = onehot.sum(1)
    means = sums / counts.clamp_min(1)[..., None]
    means = means * (counts >= min_pixels)[..., None].to(means.dtype)
    return means.reshape(b, num_classes * d)


def normalisation_pooling(feats: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """Identity forward; backward scales each pixel by 2 x its class's pixel share.

    The authors' ``normalisation_pooling`` (MADA / MADAv2 code,
    ``models/utils.py``), applied to the features of each class before its
    mean is taken: a pixel of class ``c`` gets the gradient of the class mean
    times ``2 |L_c| / (h w)``, so every labelled pixel receives ``2 / (h w)``
    of its mean's gradient whatever the size of its class (without it a pixel
    of a small class gets ``1 / |L_c|``: rare classes pull far harder).

    Args:
        feats: (B, D, h, w) features.
        labels: (B, h, w) int64 class ids (any id outside ``[0, C)`` is ignored).
        num_classes: C.

    Returns:
        Tensor: ``feats`` (the same values) with the scaled gradient.
    """
    b, _, h, w = feats.shape
    valid = (labels >= 0) & (labels < num_classes)
    index = torch.where(valid, labels, num_classes).reshape(b, h * w)
    counts = torch.zeros(b, num_classes + 1, device=feats.device).scatter_add_(
        1, index, torch.ones_like(index, dtype=torch.float32))
    scale = (2. * counts.gather(1, index) / (h * w)).reshape(b, 1, h, w).to(feats.dtype)
    detached = feats.detach()
    return detached + scale * (feats - detached)


def anchor_distances(vectors: Tensor, anchors: Tensor) -> Tensor:
    """Mean squared difference of every vector to every anchor.

    Args:
        vectors: (N, d) vectors.
        anchors: (V, d) anchors.

    Returns:
        Tensor: (N, V) ``||F - A_v||^2 / d``.
    """
    return ((vectors[:, None] - anchors[None].to(vectors)) ** 2).mean(-1)


def soft_anchor_loss(vectors: Tensor, anchors: Tensor, eps: float = 1e-12) -> Tensor:
    """MADAv2 Eq. 14 per vector: ``V / sum_v 1 / d(F, A_v)``.

    The harmonic mean of the distances: close to the smallest distance when
    one anchor is much nearer than the others.

    Args:
        vectors: (N, d) image vectors.
        anchors: (V, d) anchors.
        eps: Floor of a distance (a vector equal to an anchor).

    Returns:
        Tensor: (N,) losses.
    """
    dist = anchor_distances(vectors, anchors).clamp_min(eps)
    return anchors.shape[0] / (1. / dist).sum(1)


@torch.no_grad()
def ema_update_nearest(anchors: Tensor, vectors: Tensor,
                       momentum: float = 0.999) -> Tuple[Tensor, Tensor]:
    """MADAv2 Eq. 8: each vector moves its nearest anchor, in turn.

    ``A_v <- momentum * A_v + (1 - momentum) * F`` for ``v`` the anchor
    nearest to ``F`` (found after the previous vectors' updates).

    Args:
        anchors: (V, d) anchors (not modified).
        vectors: (N, d) vectors, applied in order.
        momentum: alpha (0.999).

    Returns:
        tuple[Tensor, Tensor]: (V, d) updated anchors and (N,) the index of
        the anchor each vector moved.
    """
    anchors = anchors.clone()
    nearest = torch.empty(len(vectors), dtype=torch.long, device=anchors.device)
    for i, vector in enumerate(vectors.to(anchors)):
        v = int(anchor_distances(vector[None], anchors)[0].argmin())
        anchors[v] = momentum * anchors[v] + (1. - momentum) * vector
        nearest[i] = v
    return anchors, nearest


def _current_iter() -> int:
    """The runner's iteration (MMEngine's RuntimeInfoHook); 0 outside a run."""
    it = MessageHub.get_current_instance().get_info('iter')
    return 0 if it is None else int(it)


@MODELS.register_module()
class SoftAnchorAlignmentLoss(BaseDomainLoss):
    """Soft alignment to a memory of target anchors (MADA; MADAv2 Eqs. 8, 14).

    For every image of its domain (the unmixed target batch by default): the
    class-wise mean decoder features under the model's own prediction
    (argmax of ``seg_logits``, which is at the feature resolution), the loss
    of Eq. 14 against the anchors, averaged over the images with at least
    one class row; in training, the Eq. 8 EMA update of each image's nearest
    anchor (detached vectors; under DDP the vectors of every rank, in rank
    order, so that all ranks keep the same anchors).

    With ``normalisation_pooling`` (the default, the authors' code) the class
    means pass their gradient back through :func:`normalisation_pooling`.

    Until ``start_iter`` (the authors' code: epoch 50 of 200) the loss is 0
    and the anchors stay put. The anchors (``anchors``, ``initialised``) are
    buffers: they are saved in checkpoints and restored on resume.

    Args:
        num_classes: C.
        feat_channels: D, the decoder feature channels (DeepLab-v3+: 256).
        num_anchors: V (10).
        momentum: EMA alpha (0.999).
        start_iter: First iteration with the loss (a stage-2 warm-up).
        min_pixels: Fewest feature pixels that give a class its row.
        init_file: Optional ``.npz`` with the initial anchors (e.g. a
            :class:`~mmada.active.MultiAnchorScorer` round file); otherwise
            :class:`~mmada.engine.hooks.TargetAnchorInitHook` sets them.
        init_key: Array of ``init_file`` to read (``'target'``).
        domain: ``'target'`` (default), ``'source'`` or ``'pseudo'``.
        loss_weight: 0.1 in the MADAv2 code, 0.7 in MADA.
        normalisation_pooling: Scale the gradient of each class mean by 2 x
            the class's pixel share (the authors' code); ``False``: the plain
            mean's gradient.
        inputs: Default ``('decoder_feats', 'seg_logits')``.
        loss_name: Log key (``loss_anchor``).
    """
    default_inputs: Sequence[str] = ('decoder_feats', 'seg_logits')
    domains = STAGE2_DOMAINS

    def __init__(self, num_classes: int, feat_channels: int, num_anchors: int = 10,
                 momentum: float = 0.999, start_iter: int = 0, min_pixels: int = 10,
                 init_file: Optional[str] = None, init_key: str = 'target',
                 domain: str = 'target', loss_weight: float = 0.1,
                 normalisation_pooling: bool = True, inputs=None,
                 loss_name: str = 'loss_anchor') -> None:
        super().__init__(domain, loss_weight, inputs, loss_name)
        if not 0 <= momentum <= 1:
            raise ValueError(f'SoftAnchorAlignmentLoss: momentum must be in [0, 1], got {momentum}')
        self.num_classes, self.feat_channels = int(num_classes), int(feat_channels)
        self.momentum, self.start_iter, self.min_pixels = float(momentum), int(start_iter), int(min_pixels)
        self.normalisation_pooling = bool(normalisation_pooling)
        self.register_buffer('anchors', torch.zeros(int(num_anchors), self.dim))
        self.register_buffer('initialised', torch.zeros((), dtype=torch.bool))
        if init_file is not None:
            self.set_anchors(torch.from_numpy(self._read(init_file, init_key)))

    @property
    def dim(self) -> int:
        """Length of an image vector, C x D."""
        return self.num_classes * self.feat_channels

    def _read(self, path: str, key: str) -> np.ndarray:
        if not osp.isfile(path):
            raise UserFacingError(
                f'SoftAnchorAlignmentLoss: init_file {path} does not exist. It is written by '
                'the MultiAnchorScorer round of a run (<work_dir>/anchors/anchors_round_XXXX.npz); '
                'or leave init_file out and add TargetAnchorInitHook to custom_hooks, which '
                'computes the anchors with the loaded model before training.')
        with np.load(path) as data:
            if key not in data:
                raise UserFacingError(f'SoftAnchorAlignmentLoss: {path} has no array {key!r} '
                                      f'(it has {sorted(data.files)})')
            return data[key]

    def set_anchors(self, anchors: Tensor) -> None:
        """Set the anchor memory (k-means centres) and mark it initialised.

        Args:
            anchors: (V, C x D) anchors.

        Raises:
            UserFacingError: If their shape is not the model's.
        """
        if tuple(anchors.shape) != tuple(self.anchors.shape):
            raise UserFacingError(
                f'SoftAnchorAlignmentLoss: anchors of shape {tuple(anchors.shape)}, but the loss '
                f'expects {tuple(self.anchors.shape)} (num_anchors x num_classes * feat_channels = '
                f'{self.anchors.shape[0]} x {self.num_classes} * {self.feat_channels}): anchors '
                'of another model, label space or K; compute them with this model.')
        self.anchors.copy_(anchors.to(self.anchors))
        self.initialised.fill_(True)

    def image_vectors(self, decoder_feats: Tensor, seg_logits: Tensor) -> Tensor:
        """(B, C x D) vectors under the prediction (Eq. 4)."""
        if decoder_feats.shape[1] != self.feat_channels or seg_logits.shape[1] != self.num_classes:
            raise UserFacingError(
                f'SoftAnchorAlignmentLoss: the model gives {decoder_feats.shape[1]}-channel '
                f'decoder features and {seg_logits.shape[1]} classes, the loss is configured for '
                f'feat_channels={self.feat_channels}, num_classes={self.num_classes}.')
        pred = seg_logits.detach().argmax(1, keepdim=True).float()
        pred = F.interpolate(pred, size=decoder_feats.shape[2:], mode='nearest')[:, 0].long()
        feats = decoder_feats.float()
        if self.normalisation_pooling:
            feats = normalisation_pooling(feats, pred, self.num_classes)
        return class_mean_vectors(feats, pred, self.num_classes, self.min_pixels)

    def _update(self, vectors: Tensor) -> None:
        """Eq. 8 with the vectors of every rank, in rank order."""
        vectors = vectors.detach()
        if get_world_size() > 1:
            vectors = torch.cat(all_gather(vectors))
        vectors = vectors[vectors.abs().sum(1) > 0]
        self.anchors.copy_(ema_update_nearest(self.anchors, vectors, self.momentum)[0])

    def forward(self, decoder_feats: Tensor, seg_logits: Tensor) -> Tensor:
        """Unweighted Eq. 14 over the batch (and the Eq. 8 update in training)."""
        if _current_iter() < self.start_iter:
            return decoder_feats.sum() * 0
        if not bool(self.initialised):
            raise UserFacingError(
                'SoftAnchorAlignmentLoss: the target anchors were never set; add '
                "dict(type='TargetAnchorInitHook') to custom_hooks or give init_file.")
        vectors = self.image_vectors(decoder_feats, seg_logits)
        present = vectors.detach().abs().sum(1) > 0
        loss = (soft_anchor_loss(vectors[present], self.anchors).mean() if present.any()
                else decoder_feats.sum() * 0)
        if self.training:
            self._update(vectors)
        return loss
