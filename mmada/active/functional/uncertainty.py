"""Pixel-wise uncertainty of a softmax prediction: entropy, pseudo labels,
softmax confidence and margin."""
import math

import torch
from torch import Tensor

from .checks import check_probs


def pixel_entropy(probs: Tensor, normalize: bool = False) -> Tensor:
    """Prediction entropy of every pixel (RIPU, Eq. 5).

    ``H = -sum_c p_c log p_c`` with ``0 log 0 = 0``. The sum runs over one
    class at a time in a reused buffer, so no (C, H, W) temporary is made.

    Args:
        probs: (C, H, W) softmax probabilities.
        normalize: Divide by ``log C`` so that the entropy lies in [0, 1].

    Returns:
        Tensor: (H, W) entropy, in the (floating) dtype of ``probs``.
    """
    check_probs(probs)
    num_classes = probs.shape[0]
    if normalize and num_classes < 2:
        raise ValueError('normalize=True needs at least 2 classes (log C > 0)')
    probs = probs if probs.is_floating_point() else probs.float()
    tiny = torch.finfo(probs.dtype).tiny
    entropy = torch.zeros_like(probs[0])
    term = torch.empty_like(probs[0])
    for prob in probs:
        # p * log(max(p, tiny)) is 0 at p = 0, like xlogy, but faster.
        torch.clamp(prob, min=tiny, out=term)
        entropy.sub_(term.log_().mul_(prob))
    if normalize:
        entropy.div_(math.log(num_classes))
    return entropy


def pseudo_labels(probs: Tensor) -> Tensor:
    """Pseudo labels ``argmax_c p_c`` (the first class on ties).

    Args:
        probs: (C, H, W) softmax probabilities.

    Returns:
        Tensor: (H, W) int64 labels.
    """
    check_probs(probs)
    return compact_pseudo_labels(probs).to(torch.int64)


def compact_pseudo_labels(probs: Tensor) -> Tensor:
    """Pseudo labels ``argmax_c p_c`` in the smallest integer dtype.

    Loops over classes: an argmax over the leading dimension of a large
    (C, H, W) tensor is strided and several times slower, and one byte per
    label (uint8 up to 256 classes) keeps the loop's writes small.

    Args:
        probs: (C, H, W) softmax probabilities (not checked).

    Returns:
        Tensor: (H, W) uint8 labels (int64 above 256 classes), the first
        class on ties, as :func:`pseudo_labels`.
    """
    dtype = torch.uint8 if probs.shape[0] <= 256 else torch.int64
    best = probs[0].clone()
    labels = torch.zeros(probs.shape[1:], dtype=dtype, device=probs.device)
    better = torch.empty(
        probs.shape[1:], dtype=torch.bool, device=probs.device)
    for cls in range(1, probs.shape[0]):
        torch.gt(probs[cls], best, out=better)
        labels.masked_fill_(better, cls)
        torch.maximum(best, probs[cls], out=best)
    return labels


def softmax_confidence(probs: Tensor) -> Tensor:
    """Softmax-confidence score ``1 - max_c p_c`` (RIPU appendix 6.2.1).

    Args:
        probs: (C, H, W) softmax probabilities.

    Returns:
        Tensor: (H, W) scores in [0, 1 - 1/C]; less confident = higher.
    """
    check_probs(probs)
    return 1 - probs.amax(dim=0)


def margin_score(probs: Tensor) -> Tensor:
    """Margin score ``1 - (p_1 - p_2)`` of the two largest probabilities.

    A small margin between the best and second-best class gives a high score.

    Args:
        probs: (C, H, W) softmax probabilities, C >= 2.

    Returns:
        Tensor: (H, W) scores in [0, 1].
    """
    check_probs(probs)
    if probs.shape[0] < 2:
        raise ValueError('margin_score needs at least 2 classes')
    top2 = probs.topk(2, dim=0).values
    return 1 - (top2[0] - top2[1])
