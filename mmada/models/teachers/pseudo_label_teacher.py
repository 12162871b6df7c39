"""A frozen or EMA teacher that pseudo-labels the target batch (MADAv2 stage 2, DAFormer)."""
import copy
from typing import Iterable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmada.registry import MODELS
from ..batch_steps import BaseBatchStep, BatchInputs, BatchSamples, stack_labels, with_labels

_MODES = ('frozen', 'ema')


def merge_pseudo_labels(labels: Tensor, logits: Tensor, min_confidence: float = 0.,
                        ignore_index: int = 255) -> Tensor:
    """Human labels where acquired, the teacher's argmax elsewhere.

    Args:
        labels: (B, H, W) int64 acquired labels (``ignore_index`` elsewhere).
        logits: (B, C, H, W) teacher logits at the labels' size.
        min_confidence: Teacher pixels with a lower top probability stay
            ``ignore_index`` (0: every pixel is pseudo-labelled).
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (B, H, W) int64 labels.
    """
    probs = logits.softmax(1)
    conf, pseudo = probs.max(1)
    pseudo = pseudo.masked_fill(conf < min_confidence, ignore_index)
    return torch.where(labels != ignore_index, labels, pseudo)


def quality_weight(logits: Tensor, labelled: Tensor, threshold: float = 0.968,
                   ignore_top: int = 0, ignore_bottom: int = 0) -> Tensor:
    """Per-pixel weights of pseudo labels: DAFormer's quality estimate.

    DAFormer (Hoyer et al., CVPR 2022, Sec. 3.1, after DACS) weights the
    pseudo-label cross-entropy by ``q``, the share of the batch's
    pseudo-labelled pixels whose top teacher probability reaches
    ``threshold`` (one value for the batch, as the authors' code). Pixels
    the user labelled get weight 1 (they carry their true label); the
    ``ignore_top`` / ``ignore_bottom`` rows of the pseudo-labelled pixels get
    0 (the authors' pseudo-label crop against rectification artefacts).

    Args:
        logits: (B, C, H, W) teacher logits.
        labelled: (B, H, W) bool, pixels with a true label.
        threshold: Confidence of a "confident" pixel (0.968).
        ignore_top: Rows at the top whose pseudo labels get weight 0.
        ignore_bottom: Rows at the bottom whose pseudo labels get weight 0.

    Returns:
        Tensor: (B, H, W) float weights.
    """
    conf = logits.detach().float().softmax(1).max(1)[0]
    pseudo = ~labelled
    count = pseudo.sum()
    share = ((conf >= threshold) & pseudo).sum().float() / count.clamp_min(1)
    weight = share.expand_as(conf).clone()
    if ignore_top > 0:
        weight[:, :ignore_top] = 0
    if ignore_bottom > 0:
        weight[:, weight.shape[1] - ignore_bottom:] = 0
    return torch.where(labelled, torch.ones_like(weight), weight)


def ema_momentum(num_updates: int, momentum: float, ramp: bool = True) -> float:
    """Weight of the teacher in its ``num_updates``-th EMA update (1-based).

    With ``ramp`` the DACS / DAFormer authors' schedule
    ``min(1 - 1 / (k + 1), momentum)``, so early updates follow the student
    faster; without it ``momentum`` throughout (mmdet's ``MeanTeacherHook``).

    Args:
        num_updates: k, the update being made (1 for the first).
        momentum: Teacher weight alpha (0.999).
        ramp: Use the ramp.

    Returns:
        float: alpha of this update.
    """
    if ramp:
        return min(1 - 1 / (num_updates + 1), momentum)
    return momentum


@torch.no_grad()
def ema_update(teacher: Iterable[Tensor], student: Iterable[Tensor], alpha: float) -> None:
    """``theta_t <- alpha theta_t + (1 - alpha) theta_s`` in place, pairwise.

    Args:
        teacher: Teacher tensors (updated).
        student: Student tensors, in the same order.
        alpha: Teacher weight.
    """
    for t, s in zip(teacher, student):
        t.mul_(alpha).add_(s.detach().to(t.dtype), alpha=1 - alpha)


@MODELS.register_module()
class PseudoLabelTeacher(BaseBatchStep):
    """Pseudo labels of the target batch from a teacher network (MADAv2 stage 2, DAFormer).

    The teacher is a copy of the segmentor's backbone, neck and decode head,
    filled with the segmentor's weights at the first training step (the
    loaded model, e.g. MADAv2's stage 1). ``mode='frozen'`` keeps it so (the
    MADAv2 authors' code: the stage-1 model predicts every pseudo label);
    ``mode='ema'`` makes it a mean teacher, which
    :class:`~mmada.engine.hooks.EMATeacherHook` (in ``custom_hooks``) moves
    towards the student after every optimiser step (:meth:`update_teacher`).
    It always runs in eval mode without gradients. Its weights, the
    ``initialised`` flag and the update count are parameters/buffers of the
    model, so checkpoints hold them and ``--resume`` continues with the same
    teacher.

    The step adds the domain ``out_domain``: the images of ``domain`` with
    labels = the acquired labels where there are some, the teacher's argmax
    elsewhere; its samples (and those of ``domain``) carry the teacher's
    logits as ``seg_logits`` for the class statistics of the mixers. With
    ``quality_threshold`` set, the ``out_domain`` samples also carry
    ``seg_weight`` (:func:`quality_weight`: 1 on acquired labels, DAFormer's
    confident share elsewhere), which a mixer mixes with the labels and
    :class:`~mmada.models.losses.PixelWeightedCELoss` applies.

    Args:
        mode: ``'frozen'`` or ``'ema'``.
        domain: Domain to pseudo-label (``'target'``).
        out_domain: Name of the added domain (``'pseudo'``).
        min_confidence: See :func:`merge_pseudo_labels`.
        quality_threshold: Confidence threshold of :func:`quality_weight`
            (DAFormer: 0.968); ``None`` puts no ``seg_weight`` on the samples.
        weight_ignore_top: Top rows of zero pseudo-label weight.
        weight_ignore_bottom: Bottom rows of zero pseudo-label weight.
        seed: Unused (no random draws); kept for the batch-step signature.
    """

    def __init__(self, mode: str = 'frozen', domain: str = 'target',
                 out_domain: str = 'pseudo', min_confidence: float = 0.,
                 quality_threshold: Optional[float] = None, weight_ignore_top: int = 0,
                 weight_ignore_bottom: int = 0, seed: int = 0) -> None:
        super().__init__(seed)
        if mode not in _MODES:
            raise ValueError(f'PseudoLabelTeacher: mode must be one of {_MODES}, got {mode!r}')
        if quality_threshold is not None and not 0 <= quality_threshold <= 1:
            raise ValueError('PseudoLabelTeacher: quality_threshold must be in [0, 1], '
                             f'got {quality_threshold}')
        self.mode = mode
        self.domain, self.out_domain, self.min_confidence = domain, out_domain, float(min_confidence)
        self.quality_threshold = quality_threshold
        self.weight_ignore = (int(weight_ignore_top), int(weight_ignore_bottom))
        self.adds_domains = (out_domain, )
        self.register_buffer('initialised', torch.zeros((), dtype=torch.bool))
        self.register_buffer('num_updates', torch.zeros((), dtype=torch.long))
        self.net: Optional[nn.ModuleDict] = None
        self.align_corners = False
        self._train_forwards = 0

    def setup(self, segmentor: nn.Module) -> None:
        """Make the teacher network: copies of backbone, neck and decode head."""
        parts = dict(backbone=segmentor.backbone, decode_head=segmentor.decode_head)
        if getattr(segmentor, 'with_neck', False):
            parts['neck'] = segmentor.neck
        self.net = nn.ModuleDict({k: copy.deepcopy(v) for k, v in parts.items()})
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.align_corners = segmentor.decode_head.align_corners
        self.net.eval()

    def train(self, mode: bool = True) -> 'PseudoLabelTeacher':
        """The teacher network stays in eval mode."""
        super().train(mode)
        if self.net is not None:
            self.net.eval()
        return self

    @property
    def uses_ema_hook(self) -> bool:
        """Whether :class:`~mmada.engine.hooks.EMATeacherHook` must update it."""
        return self.mode == 'ema'

    def _pairs(self, segmentor: nn.Module) -> Tuple[list, list, list, list]:
        """Teacher and student parameters and buffers, in matching order."""
        tp, sp, tb, sb = [], [], [], []
        for name, module in self.net.items():
            student = getattr(segmentor, name)
            tp += list(module.parameters())
            sp += list(student.parameters())
            tb += list(module.buffers())
            sb += list(student.buffers())
        return tp, sp, tb, sb

    @torch.no_grad()
    def init_from(self, segmentor: nn.Module) -> None:
        """Copy the student's weights and buffers into the teacher (once)."""
        tp, sp, tb, sb = self._pairs(segmentor)
        for t, s in zip(tp + tb, sp + sb):
            t.copy_(s)
        self.initialised.fill_(True)

    @torch.no_grad()
    def update_teacher(self, segmentor: nn.Module, alpha: float) -> None:
        """One mean-teacher update: parameters EMA, buffers copied.

        ``theta_t <- alpha theta_t + (1 - alpha) theta_s`` (:func:`ema_update`);
        BatchNorm statistics and other buffers are the student's. A teacher
        that has not run yet is first filled with the student.

        Args:
            segmentor: The student (the segmentor that owns this step).
            alpha: Teacher weight of this update (see :func:`ema_momentum`).
        """
        if not bool(self.initialised):
            self.init_from(segmentor)
        tp, sp, tb, sb = self._pairs(segmentor)
        ema_update(tp, sp, alpha)
        for t, s in zip(tb, sb):
            t.copy_(s)
        self.num_updates += 1

    def _check_updated(self) -> None:
        """An EMA teacher that no hook updates would silently stay frozen."""
        if not self.training or self.mode != 'ema':
            return
        self._train_forwards += 1
        if self._train_forwards > 1 and int(self.num_updates) == 0:
            raise RuntimeError(
                "PseudoLabelTeacher(mode='ema') was not updated after the first training "
                "step: add dict(type='EMATeacherHook') to custom_hooks (or use "
                "mode='frozen').")

    @torch.no_grad()
    def logits(self, img: Tensor, size) -> Tensor:
        """(B, C, H, W) teacher logits resized (bilinear) to ``size``."""
        feats = self.net['backbone'](img)
        if 'neck' in self.net:
            feats = self.net['neck'](feats)
        out = self.net['decode_head'](feats)
        return F.interpolate(out, size=tuple(size), mode='bilinear', align_corners=self.align_corners)

    def forward(self, segmentor: nn.Module, inputs: BatchInputs,
                data_samples: BatchSamples):
        """Add ``out_domain``: ``domain``'s images with merged pseudo labels."""
        if self.domain not in inputs:
            raise RuntimeError(f'PseudoLabelTeacher: the batch has no {self.domain!r} domain '
                               f'(it has {sorted(inputs)}); use a two-domain train_dataloader.')
        samples = data_samples[self.domain]
        labels = self._labels(samples, inputs[self.domain], segmentor)
        if not bool(self.initialised):
            self.init_from(segmentor)
        self._check_updated()
        logits = self.logits(inputs[self.domain], labels.shape[1:])
        ignore = segmentor.decode_head.ignore_index
        merged = merge_pseudo_labels(labels, logits, self.min_confidence, ignore)
        inputs, data_samples = dict(inputs), dict(data_samples)
        inputs[self.out_domain] = inputs[self.domain]
        data_samples[self.domain] = with_labels(samples, labels, logits)
        weights = None
        if self.quality_threshold is not None:
            weights = quality_weight(logits, labels != ignore, self.quality_threshold,
                                     *self.weight_ignore)
        data_samples[self.out_domain] = with_labels(samples, merged, logits, weights)
        return inputs, data_samples

    @staticmethod
    def _labels(samples, img: Tensor, segmentor: nn.Module) -> Tensor:
        """The domain's acquired labels; all ignored when its pipeline loads none."""
        if all('gt_sem_seg' in s for s in samples):
            return stack_labels(samples)
        ignore = segmentor.decode_head.ignore_index
        return torch.full((img.shape[0], *img.shape[2:]), ignore, dtype=torch.long,
                          device=img.device)
