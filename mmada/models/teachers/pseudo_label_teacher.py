"""A frozen or EMA teacher that pseudo-labels the target batch (MADAv2 stage 2)."""
import copy
from typing import Optional

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


@MODELS.register_module()
class PseudoLabelTeacher(BaseBatchStep):
    """Pseudo labels of the target batch from a teacher network (MADAv2 stage 2).

    The teacher is a copy of the segmentor's backbone, neck and decode head,
    filled with the segmentor's weights at the first training step (the
    stage-1 model loaded with ``load_from``). ``mode='frozen'`` keeps it so
    (the authors' code: the stage-1 model predicts every pseudo label);
    ``mode='ema'`` moves it towards the student before every step,
    ``theta_t <- m theta_t + (1 - m) theta_s`` (mean teacher; buffers
    copied). It always runs in eval mode without gradients. Its weights and
    ``initialised`` flag are buffers/parameters of the model, so checkpoints
    hold them and ``--resume`` continues with the same teacher.

    The step adds the domain ``out_domain``: the images of ``domain`` with
    labels = the acquired labels where there are some, the teacher's argmax
    elsewhere; its samples (and those of ``domain``) carry the teacher's
    logits as ``seg_logits`` for the class statistics of the mixers.

    Args:
        mode: ``'frozen'`` or ``'ema'``.
        momentum: EMA momentum (``mode='ema'``).
        domain: Domain to pseudo-label (``'target'``).
        out_domain: Name of the added domain (``'pseudo'``).
        min_confidence: See :func:`merge_pseudo_labels`.
        seed: Unused (no random draws); kept for the batch-step signature.
    """

    def __init__(self, mode: str = 'frozen', momentum: float = 0.999, domain: str = 'target',
                 out_domain: str = 'pseudo', min_confidence: float = 0., seed: int = 0) -> None:
        super().__init__(seed)
        if mode not in _MODES:
            raise ValueError(f'PseudoLabelTeacher: mode must be one of {_MODES}, got {mode!r}')
        if not 0 <= momentum <= 1:
            raise ValueError(f'PseudoLabelTeacher: momentum must be in [0, 1], got {momentum}')
        self.mode, self.momentum = mode, float(momentum)
        self.domain, self.out_domain, self.min_confidence = domain, out_domain, float(min_confidence)
        self.adds_domains = (out_domain, )
        self.register_buffer('initialised', torch.zeros((), dtype=torch.bool))
        self.net: Optional[nn.ModuleDict] = None
        self.align_corners = False

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

    @torch.no_grad()
    def sync(self, segmentor: nn.Module) -> None:
        """Copy the student at the first step; EMA towards it afterwards."""
        first = not bool(self.initialised)
        for name, module in self.net.items():
            student = getattr(segmentor, name)
            for t, s in zip(module.parameters(), student.parameters()):
                if first:
                    t.copy_(s)
                elif self.mode == 'ema':
                    t.mul_(self.momentum).add_(s.detach(), alpha=1 - self.momentum)
            if first or self.mode == 'ema':
                for t, s in zip(module.buffers(), student.buffers()):
                    t.copy_(s)
        self.initialised.fill_(True)

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
        labels = stack_labels(samples)
        self.sync(segmentor)
        logits = self.logits(inputs[self.domain], labels.shape[1:])
        ignore = segmentor.decode_head.ignore_index
        merged = merge_pseudo_labels(labels, logits, self.min_confidence, ignore)
        inputs, data_samples = dict(inputs), dict(data_samples)
        inputs[self.out_domain] = inputs[self.domain]
        data_samples[self.domain] = with_labels(samples, labels, logits)
        data_samples[self.out_domain] = with_labels(samples, merged, logits)
        return inputs, data_samples
