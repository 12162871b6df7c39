"""Adaptive cutmix (ACM) and adaptive copy-paste (ACP), MADAv2 Eqs. 9-12.

MADAv2 (Ning et al., TPAMI 2023) borrows both from AEL (Hu et al., NeurIPS
2021) to fight the long tail of the few labelled target images:

* class confidence (Eq. 10): ``Conf_c`` = mean over the pixels labelled
  ``c`` of the log-probability of ``c``, kept as an exponential moving
  average over iterations (momentum 0.999, the authors' code; their update
  is assigned to a local and never kept: here it is);
* class sampling (Eq. 11): ``softmax(1 - Conf)`` over the classes, so that
  the classes the model is least sure of are drawn most;
* ACM (Eq. 9): each unlabelled image receives a box cut from another image
  of the batch, the one with most pixels of a drawn class: by default the
  bounding box of a random region of that class (the authors' stage-2
  config, :mod:`.cutmix_boxes`); images and pseudo labels are cut together;
* ACP (Eq. 12): each labelled image receives the pixels of a few drawn
  *tail* classes (all but the head classes road, sidewalk, building,
  vegetation, sky) from another labelled image of the batch, with their
  labels.

Nothing is pasted onto an ignored pixel, nor taken from one: an ignored
pixel keeps its image value and label.

The statistics come from the teacher's logits (``seg_logits`` on the data
samples, put there by :class:`~mmada.models.teachers.PseudoLabelTeacher`).
Under DDP the per-class sums and pixel counts of Eq. 10 are summed over the
ranks before the EMA, so every rank keeps the statistics of the whole batch
(as the authors' single-GPU batch) and they are the same on every rank: the
checkpoint (rank 0's) resumes every rank exactly.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import Tensor

from mmada.registry import MODELS
from ..batch_steps import BaseBatchStep, stack_labels, stack_logits, with_labels
from .cutmix_boxes import ACM_BOXES, cutmix_box, region_box  # noqa: F401 (re-exported)

#: Cityscapes train ids of MADAv2's head classes: road, sidewalk, building,
#: vegetation, sky (the authors' ``ignore_cat = [0, 1, 2, 8, 10]``).
CITYSCAPES_HEAD_CLASSES = (0, 1, 2, 8, 10)


def class_logprob_sums(logits: Tensor, labels: Tensor, num_classes: int,
                       ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Per class, the summed log-probability of the class over its pixels, and their count.

    The additive parts of Eq. 10 (they sum over ranks).

    Args:
        logits: (B, C, H, W) logits.
        labels: (B, H, W) int64 (pseudo) labels.
        num_classes: C.
        ignore_index: Unlabelled id.

    Returns:
        tuple[Tensor, Tensor]: (C,) float sums and (C,) float pixel counts.
    """
    logp = logits.detach().float().log_softmax(1)
    valid = (labels != ignore_index) & (labels >= 0) & (labels < num_classes)
    index = torch.where(valid, labels, torch.zeros_like(labels))
    picked = logp.gather(1, index[:, None])[:, 0][valid]
    cls = labels[valid]
    sums = torch.zeros(num_classes, device=logits.device).index_add_(0, cls, picked)
    counts = torch.bincount(cls, minlength=num_classes).float()
    return sums, counts


def class_confidence(logits: Tensor, labels: Tensor, num_classes: int,
                     ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """MADAv2 Eq. 10: mean log-probability of each class over its pixels.

    Args:
        logits: (B, C, H, W) logits.
        labels: (B, H, W) int64 (pseudo) labels.
        num_classes: C.
        ignore_index: Unlabelled id.

    Returns:
        tuple[Tensor, Tensor]: (C,) ``Conf_c`` (0 where absent) and (C,)
        bool, whether class ``c`` has pixels.
    """
    sums, counts = class_logprob_sums(logits, labels, num_classes, ignore_index)
    return sums / counts.clamp_min(1), counts > 0


def update_class_confidence(stat: Tensor, seen: Tensor, conf: Tensor, present: Tensor,
                            momentum: float = 0.999) -> Tuple[Tensor, Tensor]:
    """EMA of the class confidence: a class's first value is taken as is.

    Args:
        stat: (C,) running confidence.
        seen: (C,) bool, classes with a value.
        conf: (C,) this batch's confidence.
        present: (C,) bool, classes in this batch.
        momentum: Weight of the running value.

    Returns:
        tuple[Tensor, Tensor]: New ``stat`` and ``seen``.
    """
    ema = momentum * stat + (1 - momentum) * conf.to(stat)
    new = torch.where(present & seen, ema, torch.where(present, conf.to(stat), stat))
    return new, seen | present


def class_sampling_probs(conf: Tensor, classes: Optional[Sequence[int]] = None) -> Tensor:
    """MADAv2 Eq. 11: ``softmax(1 - Conf)`` over ``classes`` (others 0).

    Args:
        conf: (C,) class confidence.
        classes: Classes that may be drawn (default all).

    Returns:
        Tensor: (C,) probabilities.
    """
    logits = 1 - conf.float()
    if classes is not None:
        allowed = torch.zeros_like(logits, dtype=torch.bool)
        allowed[list(classes)] = True
        logits = logits.masked_fill(~allowed, float('-inf'))
    return logits.softmax(0)


def _paste(images: Tensor, labels: Tensor, dst: int, src: int, mask: Tensor,
           out_images: Tensor, out_labels: Tensor, ignore_index: int) -> Tensor:
    """Copy ``src``'s pixels in ``mask`` onto ``dst`` (never from/onto ignore)."""
    mask = mask & (labels[dst] != ignore_index) & (labels[src] != ignore_index)
    out_images[dst] = torch.where(mask[None], images[src], images[dst])
    out_labels[dst] = torch.where(mask, labels[src], labels[dst])
    return mask


def adaptive_cutmix(images: Tensor, labels: Tensor, probs: Tensor, area_ratio: float,
                    generator: torch.Generator, ignore_index: int = 255,
                    box: str = 'region', area_thresh: float = 0.005
                    ) -> Tuple[Tensor, Tensor, Tensor]:
    """MADAv2 Eq. 9 on a batch: every image gets a box from another image.

    For image ``i``: a class ``c`` is drawn with ``probs`` (Eq. 11); the
    partner is the other image with most pixels of ``c`` (the next one when
    none has any); the box is, with ``box='region'`` (the authors' code),
    the bounding box of a random region of ``c`` in the partner
    (:func:`region_box`), or a random box of ``area_ratio`` of the image
    when ``c`` has no region that large; with ``box='centred'`` a box of
    ``area_ratio`` centred on a random pixel of ``c`` (:func:`cutmix_box`).
    Every image is mixed from the unmixed batch.

    Args:
        images: (B, 3, H, W) images.
        labels: (B, H, W) int64 (pseudo) labels.
        probs: (C,) class probabilities.
        area_ratio: Share of the image of a ``'centred'`` box and of the
            fallback box (0.5, the authors' ``init_cutmix``).
        generator: Random generator.
        ignore_index: Unlabelled id.
        box: ``'region'`` or ``'centred'``.
        area_thresh: Smallest region of a ``'region'`` box, as a share of
            the image (0.005, the authors' stage-2 config).

    Returns:
        tuple: Mixed images, mixed labels and the (B, H, W) bool masks of
        the pixels each image received.
    """
    if box not in ACM_BOXES:
        raise ValueError(f'ACM box must be one of {ACM_BOXES}, got {box!r}')
    b = images.shape[0]
    out_images, out_labels = images.clone(), labels.clone()
    masks = torch.zeros_like(labels, dtype=torch.bool)
    if b < 2:
        return out_images, out_labels, masks
    for i in range(b):
        c = int(torch.multinomial(probs.float().cpu(), 1, generator=generator))
        counts = (labels == c).flatten(1).sum(1).cpu()
        counts[i] = -1
        j = int(counts.argmax()) if counts.max() > 0 else (i + 1) % b
        rect = region_box(labels[j], c, area_thresh, generator) if box == 'region' else None
        if rect is None:
            centre = None
            where = (labels[j] == c).nonzero().cpu() if box == 'centred' else []
            if len(where):
                centre = tuple(where[int(torch.randint(0, len(where), (),
                                                       generator=generator))].tolist())
            rect = cutmix_box(labels.shape[1:], area_ratio, centre, generator)
        y0, x0, y1, x1 = rect
        box = torch.zeros_like(masks[i])
        box[y0:y1, x0:x1] = True
        masks[i] = _paste(images, labels, i, j, box, out_images, out_labels, ignore_index)
    return out_images, out_labels, masks


def adaptive_copy_paste(images: Tensor, labels: Tensor, classes: Sequence[int],
                        ignore_index: int = 255) -> Tuple[Tensor, Tensor, Tensor]:
    """MADAv2 Eq. 12 on a batch: labelled images swap pixels of ``classes``.

    The labelled images (any pixel labelled) are taken in batch order; each
    receives, from the next labelled one (cyclically), the pixels labelled
    with one of ``classes``, image and label together. Unlabelled images and
    a batch with fewer than two labelled images are left as they are.

    Args:
        images: (B, 3, H, W) images.
        labels: (B, H, W) int64 labels (``ignore_index`` where unlabelled).
        classes: Classes to paste (the drawn tail classes).
        ignore_index: Unlabelled id.

    Returns:
        tuple: Images, labels and the (B, H, W) bool masks of pasted pixels.
    """
    out_images, out_labels = images.clone(), labels.clone()
    masks = torch.zeros_like(labels, dtype=torch.bool)
    labelled = [i for i in range(labels.shape[0]) if bool((labels[i] != ignore_index).any())]
    if len(labelled) < 2 or not len(classes):
        return out_images, out_labels, masks
    wanted = torch.as_tensor(list(classes), device=labels.device)
    for k, i in enumerate(labelled):
        j = labelled[(k + 1) % len(labelled)]
        masks[i] = _paste(images, labels, i, j, torch.isin(labels[j], wanted),
                          out_images, out_labels, ignore_index)
    return out_images, out_labels, masks


class _ConfidenceMixer(BaseBatchStep):
    """A mixer with class-confidence statistics (buffers) from teacher logits."""

    def __init__(self, num_classes: int, domain: str, momentum: float, seed: int) -> None:
        super().__init__(seed)
        if not 0 <= momentum <= 1:
            raise ValueError(f'{type(self).__name__}: momentum must be in [0, 1], got {momentum}')
        self.num_classes, self.domain, self.momentum = int(num_classes), domain, float(momentum)
        self.register_buffer('confidence', torch.zeros(self.num_classes))
        self.register_buffer('seen', torch.zeros(self.num_classes, dtype=torch.bool))

    def _batch(self, inputs, data_samples):
        if self.domain not in inputs:
            raise RuntimeError(f'{type(self).__name__}: the batch has no {self.domain!r} domain '
                               f'(it has {sorted(inputs)}); a PseudoLabelTeacher adds '
                               "'pseudo' when it runs first.")
        samples = data_samples[self.domain]
        return inputs[self.domain], stack_labels(samples), samples

    def _update_statistics(self, logits: Tensor, labels: Tensor, ignore_index: int) -> None:
        """Eq. 10 on this batch, folded into the running statistics."""
        if logits.shape[1] != self.num_classes:
            raise RuntimeError(f'{type(self).__name__}: num_classes={self.num_classes} but the '
                               f'teacher predicts {logits.shape[1]} classes')
        sums, counts = class_logprob_sums(logits, labels, self.num_classes, ignore_index)
        if get_world_size() > 1:  # the whole batch of all ranks: identical statistics
            both = torch.cat([sums, counts])
            all_reduce(both)
            sums, counts = both[:self.num_classes], both[self.num_classes:]
        conf, present = sums / counts.clamp_min(1), counts > 0
        stat, seen = update_class_confidence(self.confidence, self.seen, conf, present,
                                             self.momentum)
        self.confidence.copy_(stat)
        self.seen.copy_(seen)

    @staticmethod
    def _replace(inputs, data_samples, domain, images, labels, samples):
        inputs, data_samples = dict(inputs), dict(data_samples)
        inputs[domain] = images
        data_samples[domain] = with_labels(samples, labels)
        return inputs, data_samples


@MODELS.register_module()
class AdaptiveCutMix(_ConfidenceMixer):
    """ACM (MADAv2 Eqs. 9-11) on the pseudo-labelled target images.

    Args:
        num_classes: C.
        domain: Domain to mix (``'pseudo'``, added by the teacher).
        area_ratio: Share of the image of a centred box and of the fallback
            box (0.5).
        momentum: Momentum of the class-confidence EMA (0.999).
        seed: Seed of the draws.
        box: ``'region'`` (the authors' stage 2, ``no_pad`` / ``no_slim``:
            the bounding box of a random region of the drawn class) or
            ``'centred'`` (a box of ``area_ratio`` around one of its pixels).
        area_thresh: Smallest region of a ``'region'`` box (share of the image).
    """

    def __init__(self, num_classes: int, domain: str = 'pseudo', area_ratio: float = 0.5,
                 momentum: float = 0.999, seed: int = 0, box: str = 'region',
                 area_thresh: float = 0.005) -> None:
        super().__init__(num_classes, domain, momentum, seed)
        if not 0 < area_ratio <= 1:
            raise ValueError(f'AdaptiveCutMix: area_ratio must be in (0, 1], got {area_ratio}')
        if box not in ACM_BOXES or not 0 <= area_thresh < 1:
            raise ValueError(f'AdaptiveCutMix: box must be one of {ACM_BOXES} and area_thresh '
                             f'in [0, 1), got {box!r} and {area_thresh}')
        self.area_ratio, self.box, self.area_thresh = float(area_ratio), box, float(area_thresh)

    def forward(self, segmentor, inputs, data_samples):
        """Mix ``domain``'s images and labels (statistics updated in training)."""
        images, labels, samples = self._batch(inputs, data_samples)
        ignore = segmentor.decode_head.ignore_index
        if self.training:
            self._update_statistics(stack_logits(samples, 'AdaptiveCutMix'), labels, ignore)
        probs = class_sampling_probs(self.confidence)
        images, labels, _ = adaptive_cutmix(images, labels, probs, self.area_ratio,
                                            self.generator(), ignore, self.box,
                                            self.area_thresh)
        return self._replace(inputs, data_samples, self.domain, images, labels, samples)


@MODELS.register_module()
class AdaptiveCopyPaste(_ConfidenceMixer):
    """ACP (MADAv2 Eq. 12) between the labelled target images of the batch.

    ``num_query`` classes are drawn (with replacement, duplicates merged, as
    the authors' code) among the tail classes with the Eq. 11
    probabilities; the statistics are Eq. 10 over the *acquired* labels
    with the teacher's logits.

    Args:
        num_classes: C.
        head_classes: Classes never pasted (default: Cityscapes' road,
            sidewalk, building, vegetation, sky).
        num_query: Draws per step (3).
        domain: Domain with the acquired labels (``'target'``).
        momentum: Momentum of the class-confidence EMA (0.999).
        seed: Seed of the draws.
    """

    def __init__(self, num_classes: int, head_classes: Sequence[int] = CITYSCAPES_HEAD_CLASSES,
                 num_query: int = 3, domain: str = 'target', momentum: float = 0.999,
                 seed: int = 0) -> None:
        super().__init__(num_classes, domain, momentum, seed)
        bad = [c for c in head_classes if not 0 <= c < num_classes]
        if bad:
            raise ValueError(f'AdaptiveCopyPaste: head_classes {bad} are not in [0, {num_classes})')
        self.tail_classes = [c for c in range(self.num_classes) if c not in set(head_classes)]
        if not self.tail_classes or num_query < 1:
            raise ValueError('AdaptiveCopyPaste: needs at least one tail class and num_query >= 1')
        self.num_query = int(num_query)
        self.dense_label_domains = (domain, )  # pastes regions of the acquired labels

    def forward(self, segmentor, inputs, data_samples):
        """Paste drawn tail classes between ``domain``'s labelled images."""
        images, labels, samples = self._batch(inputs, data_samples)
        ignore = segmentor.decode_head.ignore_index
        if self.training:
            self._update_statistics(stack_logits(samples, 'AdaptiveCopyPaste'), labels, ignore)
        probs = class_sampling_probs(self.confidence, self.tail_classes)
        drawn = torch.multinomial(probs.cpu(), self.num_query, replacement=True,
                                  generator=self.generator())
        classes = sorted(set(drawn.tolist()))
        images, labels, _ = adaptive_copy_paste(images, labels, classes, ignore)
        return self._replace(inputs, data_samples, self.domain, images, labels, samples)
