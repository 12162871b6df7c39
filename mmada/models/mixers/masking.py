"""Masked image consistency (MIC) as a batch step.

MIC (Hoyer et al., CVPR 2023, Sec. 3.2, Eqs. 1-3): the target image
``x^T``, colour-augmented, loses random ``b x b`` patches
(``M_{mb+1:(m+1)b, nb+1:(n+1)b} = [v > r]`` with ``v ~ U(0, 1)`` per patch,
Eq. 1), ``x^M = M * x^T`` (Eq. 2), and the student learns to predict on it
the EMA teacher's pseudo labels of the *complete* image, weighted by their
quality estimate (Eq. 3, ``L^M = q^T H(f(x^M), p^T)``). The authors'
settings: ``b = 64``, ``r = 0.7``, ``lambda^M = 1``, the teacher and its
confidence threshold shared with the DAFormer self-training, the masked image
colour-jittered and blurred as DACS's mixed images (their
``mask_mode='separatetrgaug'``).

Masking happens on the normalised images, so a withheld patch is 0 there
(the mean colour), as in the authors' code. Pixels the user labelled keep
their true label and weight 1 in the masked image too: they come from the
teacher step (:class:`~mmada.models.teachers.PseudoLabelTeacher` merges them).

The pure functions do the math; :class:`MaskedImageConsistency` is the
batch step. Its draws come from
:meth:`~mmada.models.batch_steps.BaseBatchStep.generator` (a seeded call
counter in the checkpoint), so ``--resume`` masks as the uninterrupted run.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmada.registry import MODELS
from ..batch_steps import BaseBatchStep, stack_labels, stack_weights, with_labels
from .class_mix import norm_stats, strong_augment


def block_mask(batch: int, size: Tuple[int, int], block_size: int, ratio: float,
               generator: torch.Generator) -> Tensor:
    """MIC's random patch mask (Eq. 1), one per image.

    A uniform value per patch of a ``round(H / b) x round(W / b)`` grid; a
    patch is kept where it exceeds ``ratio``; the grid is upsampled (nearest)
    to ``size``, as the authors' ``BlockMaskGenerator``.

    Args:
        batch: Number of images B.
        size: (H, W) of the images.
        block_size: Patch side ``b`` in pixels (64).
        ratio: Mask ratio ``r`` (0.7): expected share of withheld patches.
        generator: CPU generator of the draws.

    Returns:
        Tensor: (B, H, W) bool on the CPU, True where the image is kept.
    """
    h, w = size
    grid = (max(round(h / block_size), 1), max(round(w / block_size), 1))
    keep = torch.rand((batch, 1, *grid), generator=generator) > ratio
    return F.interpolate(keep.float(), size=(h, w), mode='nearest')[:, 0].bool()


def mask_images(images: Tensor, keep: Tensor) -> Tensor:
    """``x^M = M * x`` (Eq. 2): withheld pixels become 0 in every channel.

    Args:
        images: (B, C, H, W) normalised images.
        keep: (B, H, W) bool, True where kept.

    Returns:
        Tensor: (B, C, H, W) masked images.
    """
    return images * keep[:, None].to(images.dtype)


@MODELS.register_module()
class MaskedImageConsistency(BaseBatchStep):
    """MIC: add the masked target images, labelled with the teacher's pseudo labels.

    Runs after a teacher gave ``domain`` its labels (pseudo labels, true
    labels where acquired) and, for DAFormer, its quality weight
    ``seg_weight``, and *before* a mixer changes ``domain`` in place (the
    pseudo labels are those of the complete, unmixed image). It adds
    ``out_domain``: the images of ``domain``, colour-augmented as DACS
    (:func:`~mmada.models.mixers.class_mix.strong_augment`, own draws) and
    masked (:func:`block_mask`, :func:`mask_images`), with the labels and
    weights of ``domain`` (weight 1 on labelled pixels when the teacher puts
    none). Train it with a
    :class:`~mmada.models.losses.PixelWeightedCELoss` on ``out_domain``
    (its ``loss_weight`` is MIC's ``lambda``) and give ``out_domain`` the
    supervised weight 0 in ``domain_loss_weights``. Any teacher and backbone
    work: the step only needs the labels on the samples.

    Args:
        domain: The pseudo-labelled domain to mask (``'target'``).
        out_domain: Name of the added domain (``'masked'``).
        block_size: Patch side in pixels (64).
        mask_ratio: Share of withheld patches (0.7).
        augment: Colour jitter and blur before masking (the authors'
            ``separatetrgaug``).
        jitter_strength: Colour-jitter strength (0.2).
        jitter_prob: Probability that a batch is jittered (0.8).
        blur: Blur with probability 0.5 per batch.
        seed: Seed of the draws.
    """

    def __init__(self, domain: str = 'target', out_domain: str = 'masked',
                 block_size: int = 64, mask_ratio: float = 0.7, augment: bool = True,
                 jitter_strength: float = 0.2, jitter_prob: float = 0.8, blur: bool = True,
                 seed: int = 0) -> None:
        super().__init__(seed)
        if block_size < 1:
            raise ValueError(f'MaskedImageConsistency: block_size must be >= 1, got {block_size}')
        if not 0 <= mask_ratio < 1:
            raise ValueError(f'MaskedImageConsistency: mask_ratio must be in [0, 1), '
                             f'got {mask_ratio}')
        if out_domain == domain:
            raise ValueError(f'MaskedImageConsistency: out_domain must differ from domain '
                             f'({domain!r}): the masked images are trained next to the '
                             'unmasked ones.')
        self.domain, self.out_domain = domain, out_domain
        self.block_size, self.mask_ratio = int(block_size), float(mask_ratio)
        self.augment = bool(augment)
        self.jitter_strength, self.jitter_prob, self.blur = (float(jitter_strength),
                                                             float(jitter_prob), bool(blur))
        self.adds_domains = (out_domain, )

    def _check(self, inputs, data_samples) -> None:
        if self.domain not in inputs:
            raise RuntimeError(f'MaskedImageConsistency: the batch has no {self.domain!r} '
                               f'domain (it has {sorted(inputs)}); use a two-domain '
                               'train_dataloader.')
        if not all('gt_sem_seg' in s for s in data_samples[self.domain]):
            raise RuntimeError(
                f'MaskedImageConsistency: the {self.domain!r} samples carry no labels: put a '
                'teacher (e.g. PseudoLabelTeacher) before it in model.batch_steps.')

    @torch.no_grad()
    def forward(self, segmentor: nn.Module, inputs, data_samples):
        """Add ``out_domain``: masked ``domain`` images with its labels (see class doc)."""
        self._check(inputs, data_samples)
        g = self.generator()
        images = inputs[self.domain]
        samples = data_samples[self.domain]
        labels = stack_labels(samples)
        weight = stack_weights(samples)
        if weight is None:
            weight = (labels != segmentor.decode_head.ignore_index).float()
        if self.augment:
            mean, std = norm_stats(segmentor, images.device)
            images = strong_augment(images, mean, std, g, self.jitter_strength,
                                    self.jitter_prob, self.blur)
        keep = block_mask(images.shape[0], images.shape[2:], self.block_size,
                          self.mask_ratio, g).to(images.device)
        inputs, data_samples = dict(inputs), dict(data_samples)
        inputs[self.out_domain] = mask_images(images, keep)
        data_samples[self.out_domain] = with_labels(samples, labels, weights=weight)
        return inputs, data_samples
