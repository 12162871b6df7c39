"""ClassMix / DACS domain mixing with colour jitter and blur (DAFormer's self-training).

DACS (Tranheden et al., WACV 2021), used by DAFormer (Hoyer et al., CVPR
2022, Sec. 3.1): each target image of the batch receives the pixels of half
of the classes of the source image it is paired with (ClassMix), image and
label together; the label of the other pixels is the teacher's pseudo label.
The per-pixel loss weight is 1 on the pasted source pixels and the target's
own weight (the teacher's quality estimate) elsewhere. The mixed images are
then colour-jittered and blurred as the authors' code does:

* colour jitter with probability 0.8 for the batch (the code: a uniform draw
  above ``color_jitter_probability=0.2``), brightness / contrast /
  saturation / hue of strength 0.2, factors drawn per image;
* Gaussian blur with probability 0.5 for the batch, sigma ~ U(0.15, 1.15)
  per image, kernel side ~ 10 % of the image side (odd).

Pure functions do the math; :class:`DACSMix` is the batch step. Its draws
come from :meth:`~mmada.models.batch_steps.BaseBatchStep.generator` (a
seeded call counter in the checkpoint), so ``--resume`` mixes as the
uninterrupted run.
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmada.registry import MODELS
from ..batch_steps import BaseBatchStep, stack_labels, stack_weights, with_labels

#: ITU-R BT.601 luma weights of R, G, B (grey level of contrast and saturation).
_LUMA = (0.299, 0.587, 0.114)


def class_mix_mask(label: Tensor, generator: torch.Generator,
                   ignore_index: int = 255) -> Tensor:
    """ClassMix mask of one source label map: the pixels of half of its classes.

    ``ceil(n / 2)`` of the image's ``n`` classes (ignored pixels are no
    class), drawn without replacement.

    Args:
        label: (H, W) int64 source labels.
        generator: CPU generator of the draw.
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (H, W) bool, True on the pixels to paste.
    """
    classes = torch.unique(label)
    classes = classes[classes != ignore_index]
    if not len(classes):
        return torch.zeros_like(label, dtype=torch.bool)
    keep = torch.randperm(len(classes), generator=generator)[:(len(classes) + 1) // 2]
    return torch.isin(label, classes[keep.to(classes.device)])


def mix(mask: Tensor, pasted: Tensor, base: Tensor) -> Tensor:
    """``pasted`` where ``mask``, ``base`` elsewhere (``mask`` broadcast over channels).

    Args:
        mask: (B, H, W) bool.
        pasted: (B, ..., H, W) values taken where ``mask`` is True.
        base: Same shape, values kept elsewhere.

    Returns:
        Tensor: The mixed tensor.
    """
    m = mask.view(mask.shape[0], *([1] * (pasted.dim() - 3)), *mask.shape[1:])
    return torch.where(m, pasted, base)


def _grey(img: Tensor) -> Tensor:
    w = img.new_tensor(_LUMA).view(3, 1, 1)
    return (img * w).sum(0, keepdim=True)


def _hue(img: Tensor, shift: float) -> Tensor:
    """Rotate the chroma plane of YIQ by ``shift`` turns (a hue change)."""
    to_yiq = img.new_tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322],
                             [0.211, -0.523, 0.312]])
    c, s = math.cos(2 * math.pi * shift), math.sin(2 * math.pi * shift)
    rot = img.new_tensor([[1., 0., 0.], [0., c, -s], [0., s, c]])
    m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum('ij,jhw->ihw', m, img)


def color_jitter(img: Tensor, brightness: float, contrast: float, saturation: float,
                 hue: float, order: List[int]) -> Tensor:
    """Colour jitter of one RGB image in [0, 1] with given factors.

    Brightness multiplies, contrast blends with the mean grey, saturation
    with the grey image, hue rotates the chroma (YIQ) by ``hue`` turns; each
    result is clipped to [0, 1], in ``order`` (indices of those four).

    Args:
        img: (3, H, W) RGB in [0, 1].
        brightness: Factor (1: unchanged).
        contrast: Factor (1: unchanged).
        saturation: Factor (1: unchanged).
        hue: Shift in turns (0: unchanged).
        order: Permutation of ``[0, 1, 2, 3]``.

    Returns:
        Tensor: (3, H, W) jittered image.
    """
    ops = [lambda x: x * brightness,
           lambda x: (x - _grey(x).mean()) * contrast + _grey(x).mean(),
           lambda x: (x - _grey(x)) * saturation + _grey(x),
           lambda x: _hue(x, hue)]
    for k in order:
        img = ops[k](img).clamp(0, 1)
    return img


def blur_kernel_size(size: int) -> int:
    """The authors' blur kernel side for an image side: ~10 %, odd."""
    k = math.ceil(0.1 * size)
    return int(math.floor(k - 0.5 + k % 2))


def gaussian_blur(img: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of (C, H, W) with reflect padding.

    Args:
        img: (C, H, W) image.
        sigma: Standard deviation in pixels.

    Returns:
        Tensor: (C, H, W) blurred image.
    """
    out = img[None]
    for dim, size in ((2, img.shape[1]), (3, img.shape[2])):
        k = max(blur_kernel_size(size), 1)
        x = torch.arange(k, dtype=img.dtype, device=img.device) - (k - 1) / 2
        w = torch.exp(-x ** 2 / (2 * sigma ** 2))
        w = (w / w.sum()).view(1, 1, *([k, 1] if dim == 2 else [1, k]))
        pad = (0, 0, k // 2, k // 2) if dim == 2 else (k // 2, k // 2, 0, 0)
        c = out.shape[1]
        out = F.conv2d(F.pad(out, pad, mode='reflect'), w.expand(c, 1, *w.shape[2:]), groups=c)
    return out[0]


def strong_augment(images: Tensor, mean: Tensor, std: Tensor, generator: torch.Generator,
                   jitter_strength: float = 0.2, jitter_prob: float = 0.8,
                   blur: bool = True) -> Tensor:
    """DACS's colour jitter and blur of a normalised batch (see module doc).

    Two draws decide for the whole batch: jitter when ``U(0, 1) <
    jitter_prob``, blur (if ``blur``) when ``U(0, 1) > 0.5``; then per image
    the jitter factors (brightness, contrast, saturation ~ U(1 - s, 1 + s),
    hue ~ U(-s, s) turns, a random order) and the blur sigma ~ U(0.15, 1.15).

    Args:
        images: (B, 3, H, W) normalised images.
        mean: (3, 1, 1) normalisation mean (0-255 scale).
        std: (3, 1, 1) normalisation std (0-255 scale).
        generator: CPU generator of the draws.
        jitter_strength: ``s``.
        jitter_prob: Probability that the batch is jittered.
        blur: Whether the batch may be blurred.

    Returns:
        Tensor: The augmented images (``images`` itself when neither applies).
    """
    def u(lo=0., hi=1.):
        return float(torch.empty(()).uniform_(lo, hi, generator=generator))
    jitter, blurred = u() < jitter_prob, blur and u() > 0.5
    if not (jitter or blurred):
        return images
    out = []
    s = jitter_strength
    for img in images:
        if jitter:
            x = ((img * std + mean) / 255.).clamp(0, 1)
            x = color_jitter(x, u(1 - s, 1 + s), u(1 - s, 1 + s), u(1 - s, 1 + s),
                             u(-s, s), torch.randperm(4, generator=generator).tolist())
            img = (x * 255. - mean) / std
        if blurred:
            img = gaussian_blur(img, u(0.15, 1.15))
        out.append(img)
    return torch.stack(out)


def norm_stats(segmentor: nn.Module, device) -> Tuple[Tensor, Tensor]:
    """(3, 1, 1) mean and std (0-255) of the segmentor's data preprocessor."""
    pre = segmentor.data_preprocessor
    pre = getattr(pre, 'data_preprocessor', pre)
    mean = getattr(pre, 'mean', None)
    std = getattr(pre, 'std', None)
    if mean is None or not getattr(pre, '_enable_normalize', True):
        return torch.zeros(3, 1, 1, device=device), torch.ones(3, 1, 1, device=device)
    return mean.view(3, 1, 1).to(device), std.view(3, 1, 1).to(device)


@MODELS.register_module()
class DACSMix(BaseBatchStep):
    """ClassMix of the source onto the pseudo-labelled target, then colour jitter and blur.

    Runs after a teacher (:class:`~mmada.models.teachers.PseudoLabelTeacher`)
    that gave ``domain`` its pseudo labels (and, for DAFormer, its
    ``seg_weight``); image ``i`` of ``domain`` receives the pixels of half
    the classes of image ``i`` of ``source_domain`` (see module doc). The
    domain is replaced in place; its samples keep the teacher's
    ``seg_logits`` (of the unmixed image).

    Args:
        domain: The pseudo-labelled domain to mix into (in place).
        source_domain: The labelled domain whose classes are pasted.
        jitter_strength: Colour-jitter strength ``s`` (0.2): brightness,
            contrast, saturation factors ~ U(1 - s, 1 + s), hue shift
            ~ U(-s, s) turns (kornia's / torchvision's ranges).
        jitter_prob: Probability that a batch is jittered (0.8).
        blur: Blur with probability 0.5 per batch.
        seed: Seed of the draws.
    """

    def __init__(self, domain: str = 'target', source_domain: str = 'source',
                 jitter_strength: float = 0.2, jitter_prob: float = 0.8, blur: bool = True,
                 seed: int = 0) -> None:
        super().__init__(seed)
        if not 0 <= jitter_prob <= 1:
            raise ValueError(f'DACSMix: jitter_prob must be in [0, 1], got {jitter_prob}')
        if not 0 <= jitter_strength < 1:
            raise ValueError(f'DACSMix: jitter_strength must be in [0, 1), got {jitter_strength}')
        self.domain, self.source_domain = domain, source_domain
        self.jitter_strength, self.jitter_prob = float(jitter_strength), float(jitter_prob)
        self.blur = bool(blur)

    def _check(self, inputs, data_samples) -> None:
        for d in (self.domain, self.source_domain):
            if d not in inputs:
                raise RuntimeError(f'DACSMix: the batch has no {d!r} domain (it has '
                                   f'{sorted(inputs)}); use a two-domain train_dataloader.')
        if inputs[self.domain].shape != inputs[self.source_domain].shape:
            raise RuntimeError(
                f'DACSMix: {self.source_domain!r} and {self.domain!r} batches differ in shape '
                f'({tuple(inputs[self.source_domain].shape)} vs '
                f'{tuple(inputs[self.domain].shape)}): use the same crop size and batch size.')
        if not all('gt_sem_seg' in s for s in data_samples[self.domain]):
            raise RuntimeError(f'DACSMix: the {self.domain!r} samples carry no labels: put a '
                               'PseudoLabelTeacher before it in model.batch_steps.')

    def _augment(self, images: Tensor, mean: Tensor, std: Tensor,
                 g: torch.Generator) -> Tensor:
        """Colour jitter and blur of normalised images, the authors' draws."""
        return strong_augment(images, mean, std, g, self.jitter_strength, self.jitter_prob,
                              self.blur)

    @torch.no_grad()
    def forward(self, segmentor: nn.Module, inputs, data_samples):
        """Replace ``domain`` by its mix with ``source_domain`` (see class doc)."""
        self._check(inputs, data_samples)
        g = self.generator()
        ignore = segmentor.decode_head.ignore_index
        src_lbl = stack_labels(data_samples[self.source_domain])
        samples = data_samples[self.domain]
        tgt_lbl = stack_labels(samples)
        masks = torch.stack([class_mix_mask(lbl.cpu(), g, ignore) for lbl in src_lbl])
        masks = masks.to(tgt_lbl.device)
        weight: Optional[Tensor] = stack_weights(samples)
        images = mix(masks, inputs[self.source_domain], inputs[self.domain])
        mean, std = norm_stats(segmentor, images.device)
        images = self._augment(images, mean, std, g)
        labels = mix(masks, src_lbl, tgt_lbl)
        if weight is not None:
            weight = mix(masks, torch.ones_like(weight), weight)
        inputs, data_samples = dict(inputs), dict(data_samples)
        inputs[self.domain] = images
        data_samples[self.domain] = with_labels(samples, labels, weights=weight)
        return inputs, data_samples
