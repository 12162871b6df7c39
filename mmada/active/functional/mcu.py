"""ADA-MCU's pixel uncertainty and its three groups (Zhang et al., Sec. III-B).

* :func:`mcu_uncertainty` / :func:`mcu_uncertainty_from_logits`: Eq. 1-3,
  ``S = E(p) + gamma * KL(p || p_aux)`` with ``E`` the entropy normalised by
  ``log C`` (Eq. 2) and ``KL(p || p_aux) = sum_c p_c (log p_c - log p_aux_c)``
  (Eq. 3), ``p`` the main (layer4 / conv5) and ``p_aux`` the auxiliary
  (layer3 / conv4) prediction.
* :func:`uncertainty_groups`: high / medium / low group of every pixel from
  the thresholds ``pi_high`` and ``pi_low``.
* :func:`equal_count_sample`: the same number of random pixels from each
  group of one image (adaptive sampling, Sec. III-C 2).
"""
import math
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

#: Group ids of :func:`uncertainty_groups` (the ``uncertainty_group`` output).
GROUP_IDS = dict(high=0, medium=1, low=2)


def mcu_uncertainty_from_logits(logits: Tensor, aux_logits: Optional[Tensor],
                                gamma: float = 0.5, dim: int = 1) -> Tensor:
    """ADA-MCU uncertainty score (Eq. 1-3) from main and auxiliary logits.

    Args:
        logits: Main-head logits, classes along ``dim`` (e.g. (B, C, H, W)).
        aux_logits: Auxiliary-head logits of the same shape; may be ``None``
            only when ``gamma == 0`` (entropy alone).
        gamma: Weight of the KL term (the paper: 0.5).
        dim: Class dimension.

    Returns:
        Tensor: Scores with ``dim`` removed, float32, >= 0.
    """
    log_p = torch.log_softmax(logits.float(), dim=dim)
    num_classes = logits.shape[dim]
    if num_classes < 2:
        raise ValueError('the ADA-MCU uncertainty needs at least 2 classes (log C > 0)')
    p = log_p.exp()
    score = -(p * log_p).sum(dim) / math.log(num_classes)
    if gamma:
        if aux_logits is None:
            raise ValueError(f'gamma={gamma} needs auxiliary logits (KL(p || p_aux), Eq. 3)')
        if aux_logits.shape != logits.shape:
            raise ValueError(f'aux_logits {tuple(aux_logits.shape)} and logits '
                             f'{tuple(logits.shape)} differ in shape')
        log_q = torch.log_softmax(aux_logits.float(), dim=dim)
        score = score + gamma * (p * (log_p - log_q)).sum(dim).clamp_min(0)
    return score


def mcu_uncertainty(probs: Tensor, aux_probs: Optional[Tensor],
                    gamma: float = 0.5) -> Tensor:
    """ADA-MCU uncertainty score (Eq. 1-3) of one image from softmax maps.

    ``0 log 0 = 0``; an auxiliary probability of 0 where the main one is
    positive is clamped to the smallest positive float (a large, finite KL).

    Args:
        probs: (C, H, W) main-head softmax.
        aux_probs: (C, H, W) auxiliary-head softmax (``None`` if gamma is 0).
        gamma: Weight of the KL term.

    Returns:
        Tensor: (H, W) float32 scores, >= 0.
    """
    if probs.dim() != 3:
        raise ValueError(f'probs must be (C, H, W), got {tuple(probs.shape)}')
    probs = probs.float()
    tiny = torch.finfo(probs.dtype).tiny
    log_p = probs.clamp_min(tiny).log()
    num_classes = probs.shape[0]
    if num_classes < 2:
        raise ValueError('the ADA-MCU uncertainty needs at least 2 classes (log C > 0)')
    score = -(probs * log_p).sum(0) / math.log(num_classes)
    if gamma:
        if aux_probs is None or aux_probs.shape != probs.shape:
            raise ValueError(f'gamma={gamma} needs aux_probs of shape {tuple(probs.shape)}')
        log_q = aux_probs.float().clamp_min(tiny).log()
        score = score + gamma * (probs * (log_p - log_q)).sum(0).clamp_min(0)
    return score


def check_thresholds(pi_high: float, pi_low: float) -> None:
    """Raise a ValueError unless ``0 <= pi_low < pi_high``."""
    if not 0 <= pi_low < pi_high:
        raise ValueError(f'ADA-MCU thresholds need 0 <= pi_low < pi_high, got '
                         f'pi_low={pi_low}, pi_high={pi_high}')


def uncertainty_groups(score: Tensor, pi_high: float, pi_low: float) -> Tensor:
    """Group of every pixel: 0 = high (``S >= pi_high``), 2 = low
    (``S < pi_low``), 1 = medium (between).

    Args:
        score: Uncertainty scores, any shape.
        pi_high: Threshold of the high-uncertainty group.
        pi_low: Threshold of the low-uncertainty group (``< pi_high``).

    Returns:
        Tensor: int64 group ids of the shape of ``score``.
    """
    check_thresholds(pi_high, pi_low)
    groups = torch.full(score.shape, GROUP_IDS['medium'], dtype=torch.int64,
                        device=score.device)
    groups[score >= pi_high] = GROUP_IDS['high']
    groups[score < pi_low] = GROUP_IDS['low']
    return groups


def equal_count_sample(groups: Tensor, candidates: Tensor, names: Sequence[str],
                       max_per_group: Optional[int], fraction: float = 1.0,
                       generator: Optional[torch.Generator] = None,
                       count_groups: Optional[Sequence[str]] = None
                       ) -> Dict[str, Tensor]:
    """The same number of random candidate pixels from each named group.

    ``k = min(max_per_group, ceil(fraction * min_g |G_g|))`` where ``|G_g|``
    counts the candidates of group ``g`` over ``count_groups`` (default: all
    ``names``); a group outside ``count_groups`` gives at most ``k`` pixels
    but never lowers ``k`` (an empty G_l must not stop the ground truth of
    G_h and G_m). ``max_per_group=None`` takes every
    candidate of every group instead, in random order (no equal count: the
    paper's "AL w/o AS").

    Args:
        groups: (H, W) int64 group ids (see :func:`uncertainty_groups`).
        candidates: (H, W) bool pixels that may be sampled.
        names: Groups to sample, among ``'high'``, ``'medium'``, ``'low'``.
        max_per_group: Upper bound of ``k`` (samples per group and image),
            or ``None``.
        fraction: Share of the smallest group that is sampled (the paper's
            footnote 3 samples half of G_h: 0.5).
        generator: Random generator (CPU) of the draw.
        count_groups: Groups whose sizes set ``k``.

    Returns:
        dict[str, Tensor]: Per group, the flat indices (int64, random order,
        on the device of ``groups``) of its sampled pixels.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    if groups.shape != candidates.shape or groups.dim() != 2:
        raise ValueError(f'groups {tuple(groups.shape)} and candidates '
                         f'{tuple(candidates.shape)} must be the same (H, W)')
    flat_groups, flat_cand = groups.reshape(-1), candidates.reshape(-1).bool()
    pools = {n: torch.nonzero(flat_cand & (flat_groups == GROUP_IDS[n])).reshape(-1)
             for n in names}
    if not pools:
        return {}
    counted = [n for n in (names if count_groups is None else count_groups) if n in pools]
    smallest = min(len(pools[n]) for n in counted) if counted else \
        min(len(p) for p in pools.values())
    k = None if max_per_group is None else min(
        int(max_per_group), math.ceil(fraction * smallest - 1e-9))
    out = {}
    for name in names:
        pool = pools[name]
        order = torch.randperm(len(pool), generator=generator)
        out[name] = pool[order[:k].to(pool.device)]
    return out
