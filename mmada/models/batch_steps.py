"""Batch steps: work a :class:`TwoDomainSegmentor` does on a training batch before its forward.

A batch step (a teacher that pseudo-labels images, a mixer that cuts and
pastes between images) receives the preprocessed batch, images and data
samples per domain, and returns the batch to train on: it may change a
domain's images and labels (a mixer) or add a domain (a teacher adds
``'pseudo'``, the target images with its pseudo labels). Steps run in the
configured order, only in ``loss()`` (never in validation, testing or
acquisition passes), on the device of the batch. Whatever a step keeps
between iterations (teacher weights, class statistics, a call counter for
its random draws) is a parameter or buffer, hence in every checkpoint.

Configure them with ``model.batch_steps=[...]`` (see
``configs/_base_/methods/madav2_stage2.py``).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import get_rank
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torch import Tensor, nn

BatchInputs = Dict[str, Tensor]
BatchSamples = Dict[str, List[SegDataSample]]


def stack_labels(samples: Sequence[SegDataSample]) -> Tensor:
    """(B, H, W) int64 ``gt_sem_seg`` of a domain's samples."""
    return torch.stack([s.gt_sem_seg.data for s in samples]).squeeze(1).long()


def stack_logits(samples: Sequence[SegDataSample], who: str) -> Tensor:
    """(B, C, H, W) ``seg_logits`` a teacher put on a domain's samples.

    Raises:
        RuntimeError: If a sample carries none (no teacher ran before ``who``).
    """
    if not all('seg_logits' in s for s in samples):
        raise RuntimeError(
            f'{who} needs the teacher logits of its domain (seg_logits on the data samples): '
            "put a PseudoLabelTeacher before it in model.batch_steps.")
    return torch.stack([s.seg_logits.data for s in samples])


def with_labels(samples: Sequence[SegDataSample], labels: Tensor,
                logits: Optional[Tensor] = None,
                weights: Optional[Tensor] = None) -> List[SegDataSample]:
    """Copies of ``samples`` (meta information, ``seg_logits``, ``seg_weight``) with new labels.

    Args:
        samples: The domain's data samples.
        labels: (B, H, W) int64 labels.
        logits: Optional (B, C, H, W) ``seg_logits`` to set (default: keep
            the samples' own, if any).
        weights: Optional (B, H, W) per-pixel loss weights ``seg_weight``
            to set (default: keep the samples' own, if any).

    Returns:
        list[SegDataSample]: New samples; the inputs are not modified.
    """
    out = []
    for i, (sample, label) in enumerate(zip(samples, labels)):
        new = SegDataSample(metainfo=sample.metainfo)
        new.gt_sem_seg = PixelData(data=label[None])
        if logits is not None:
            new.seg_logits = PixelData(data=logits[i])
        elif 'seg_logits' in sample:
            new.seg_logits = sample.seg_logits
        if weights is not None:
            new.seg_weight = PixelData(data=weights[i][None])
        elif 'seg_weight' in sample:
            new.seg_weight = sample.seg_weight
        out.append(new)
    return out


def stack_weights(samples: Sequence[SegDataSample]) -> Optional[Tensor]:
    """(B, H, W) float ``seg_weight`` of a domain's samples, ``None`` if any lacks one."""
    if not samples or not all('seg_weight' in s for s in samples):
        return None
    return torch.stack([s.seg_weight.data for s in samples]).squeeze(1).float()


def check_batch_steps(steps: Sequence['BaseBatchStep'],
                      images_per_domain: Dict[str, int]) -> None:
    """Refuse batch steps that read a domain the training batches do not hold.

    Walks the steps in order: each may read the loader's domains and those
    that earlier steps add.

    Args:
        steps: The segmentor's batch steps, in order.
        images_per_domain: Fewest images of each domain in a training batch.

    Raises:
        ValueError: Naming the step, the domains it misses and the batches.
    """
    available = set(images_per_domain)
    for idx, step in enumerate(steps):
        missing = [d for d in step.reads_domains if d not in available]
        if missing:
            raise ValueError(
                f'{type(step).__name__} (model.batch_steps.{idx}) reads the domains {missing}, '
                f'but the train_dataloader yields {sorted(images_per_domain)} batches and no '
                'earlier batch step adds them: give it a two-domain train_dataloader '
                '(TwoDomainDataset with source and target) or remove the step.')
        available |= set(step.adds_domains)


def build_batch_steps(configs: Sequence[dict], segmentor: nn.Module) -> nn.ModuleList:
    """Build a segmentor's batch steps; each domain they add needs a loss weight.

    Args:
        configs: Configs of :class:`BaseBatchStep` modules.
        segmentor: The (built) segmentor; each step's :meth:`~BaseBatchStep.setup`
            receives it.

    Returns:
        nn.ModuleList: The steps, in order.
    """
    from mmada.registry import MODELS
    steps = nn.ModuleList(MODELS.build(c) for c in configs)
    for step in steps:
        step.setup(segmentor)
        missing = [d for d in step.adds_domains if d not in segmentor.domain_loss_weights]
        if missing:
            raise ValueError(
                f'TwoDomainSegmentor: batch step {type(step).__name__} adds the domains '
                f'{missing}: give their supervised cross-entropy weight in '
                'domain_loss_weights (0 when only extra losses use them).')
    return steps


class BaseBatchStep(nn.Module):
    """A step run on the training batch before the forward pass.

    Subclasses implement :meth:`forward`; ``adds_domains`` names the domains
    they add (the segmentor asks for a ``domain_loss_weights`` entry for
    each), :attr:`reads_domains` those they read (checked against the train
    batches before training, :func:`check_batch_steps`),
    ``dense_label_domains`` those whose acquired labels they copy as regions
    (such a step refuses an acquisition of isolated points before training,
    :func:`~mmada.engine.hooks.batch_check_hook.check_label_density`), and
    :meth:`setup` receives the segmentor once it is built.

    Random draws use :meth:`generator`, seeded by ``seed``, the rank and a
    call counter buffer, so that a resumed run draws what the uninterrupted
    one would have.

    Args:
        seed: Seed of the step's random draws.
    """
    adds_domains: Tuple[str, ...] = ()
    dense_label_domains: Tuple[str, ...] = ()

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.seed = int(seed)
        self.register_buffer('num_calls', torch.zeros((), dtype=torch.long))

    @property
    def reads_domains(self) -> Tuple[str, ...]:
        """Domains the step reads: its ``domain`` and ``source_domain`` attributes, if set."""
        names = (getattr(self, 'domain', None), getattr(self, 'source_domain', None))
        return tuple(d for d in names if d)

    def setup(self, segmentor: nn.Module) -> None:
        """Called once by the segmentor after it is built (default: nothing)."""

    def generator(self) -> torch.Generator:
        """A CPU generator for this call (and count the call)."""
        g = torch.Generator()
        g.manual_seed(self.seed * 1_000_003 + int(self.num_calls) * 7919 + get_rank())
        self.num_calls += 1
        return g

    def forward(self, segmentor: nn.Module, inputs: BatchInputs,
                data_samples: BatchSamples) -> Tuple[BatchInputs, BatchSamples]:
        """Return the batch to train on.

        Args:
            segmentor: The segmentor running the step.
            inputs: Normalised images per domain.
            data_samples: Data samples per domain.

        Returns:
            tuple: New ``inputs`` and ``data_samples`` dicts (the given ones
            must not be modified in place).
        """
        raise NotImplementedError
