"""Class-Balanced Dynamic Acquisition (CBDA, Schachtsiek et al.).

Pure functions for the class budgets (Eq. 1), class weights (Eq. 2), the
weighted scores (Eq. 3) and the imbalance score (Eq. 4), and
:class:`ClassBalancedScorer`, a score wrapper usable around any scorer.
The "Dynamic Acquisition" half of CBDA is
:class:`mmada.active.allocators.GlobalTopNAllocator`.
"""
import math
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmada.registry import SCORERS
from . import functional as F
from .base import BaseScorer, ImageContext, RoundInfo


def goal_distribution(num_classes: int,
                      goal: Optional[Sequence[float]] = None) -> Tensor:
    """The goal class distribution of CBDA (uniform unless given).

    Args:
        num_classes: Number of classes C.
        goal: Optional (C,) non-negative shares summing to 1.

    Returns:
        Tensor: (C,) float64 distribution.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}')
    if goal is None:
        return torch.full((num_classes, ),
                          1. / num_classes,
                          dtype=torch.float64)
    goal = torch.as_tensor(goal, dtype=torch.float64).reshape(-1)
    if goal.numel() != num_classes:
        raise ValueError(f'goal has {goal.numel()} entries for {num_classes} '
                         f'classes')
    if (goal < 0).any() or not math.isclose(
            float(goal.sum()), 1., abs_tol=1e-6):
        raise ValueError(f'goal must be non-negative and sum to 1, got '
                         f'{goal.tolist()}')
    return goal


def class_budgets(pool_pixels: int,
                  budget_ratio: float,
                  round_index: int,
                  num_rounds: int,
                  num_classes: int,
                  goal: Optional[Sequence[float]] = None) -> Tensor:
    """Ideal cumulative class budgets of a round (CBDA, Eq. 1).

    ``B_{c,i} = (|T| x W x H) x B_AL x g_c x i / N_i`` with ``g_c = 1/C``
    for the uniform goal (the paper's ``B_AL / C``); another goal
    distribution replaces ``1/C`` by its share of class c.

    Args:
        pool_pixels: |T| x W x H, the pixels of the target pool.
        budget_ratio: B_AL, the whole schedule's budget as a fraction.
        round_index: i, the 1-based round being selected.
        num_rounds: N_i, the number of rounds.
        num_classes: C.
        goal: Optional (C,) goal distribution (default uniform).

    Returns:
        Tensor: (C,) float64 budgets in pixels.
    """
    if pool_pixels < 0:
        raise ValueError(f'pool_pixels must be >= 0, got {pool_pixels}')
    if budget_ratio is None or not 0 < budget_ratio <= 1:
        raise ValueError(f'budget_ratio must be in (0, 1], got '
                         f'{budget_ratio}')
    if not 1 <= round_index <= num_rounds:
        raise ValueError(f'round_index must be in [1, {num_rounds}], got '
                         f'{round_index}')
    shares = goal_distribution(num_classes, goal)
    return pool_pixels * budget_ratio * shares * (round_index / num_rounds)


def class_weights(labelled_per_class: Tensor,
                  budgets: Tensor,
                  eps: float = 1e-6) -> Tensor:
    """Class weights of a round (CBDA, Eq. 2).

    ``W_{c,i} = max(1 - L_{c,i} / B_{c,i}, eps)``; a class with a zero
    budget (zero goal share) gets ``eps``.

    Args:
        labelled_per_class: (C,) L_{c,i}, labels of class c acquired before
            this round.
        budgets: (C,) B_{c,i} from :func:`class_budgets`.
        eps: Floor of the weights, strictly positive, so that filled classes
            keep their relative order.

    Returns:
        Tensor: (C,) float64 weights in [eps, 1].
    """
    if not eps > 0:
        raise ValueError(f'eps must be > 0, got {eps}')
    labelled = torch.as_tensor(labelled_per_class, dtype=torch.float64)
    budgets = torch.as_tensor(budgets, dtype=torch.float64)
    if labelled.shape != budgets.shape or labelled.dim() != 1:
        raise ValueError(f'labelled_per_class {tuple(labelled.shape)} and '
                         f'budgets {tuple(budgets.shape)} must be (C,)')
    if (labelled < 0).any() or (budgets < 0).any():
        raise ValueError('labelled_per_class and budgets must be >= 0')
    ratio = torch.where(budgets > 0, labelled / budgets.clamp(min=1e-300),
                        torch.full_like(budgets, math.inf))
    return (1 - ratio).clamp(min=eps)


def weight_scores(score: Tensor, labels: Tensor, weights: Tensor) -> Tensor:
    """Multiply every pixel's score by its pseudo-label class weight (Eq. 3).

    ``A_hat(i, j) = A(i, j) x W_c`` where ``c`` is the pseudo label of
    ``(i, j)``. CBDA down-weights classes by multiplication, which only
    lowers a score's rank if the score is non-negative (Eq. 3 with weights
    in [eps, 1]); negative scores are therefore rejected.

    Args:
        score: (H, W) non-negative scores.
        labels: (H, W) integer pseudo labels.
        weights: (C,) class weights.

    Returns:
        Tensor: (H, W) weighted scores, in the dtype of ``score``.
    """
    if score.shape != labels.shape:
        raise ValueError(f'score {tuple(score.shape)} and labels '
                         f'{tuple(labels.shape)} differ in shape')
    if (score < 0).any():
        raise ValueError('CBDA class weighting needs non-negative scores '
                         '(multiplying a negative score by a weight < 1 '
                         'would raise it)')
    weights = torch.as_tensor(weights).to(score.device, score.dtype)
    return score * weights[labels.long()]


def imbalance_score(counts: Tensor) -> float:
    """Imbalance of a labelled set (CBDA, Eq. 4, appendix F).

    ``KL(Q_class || Q_unif) / KL(Q_OH || Q_unif)``: the KL divergence of the
    class distribution from the uniform one, scaled by its maximum, reached
    by a one-hot distribution (``KL(Q_OH || Q_unif) = log C``). Equivalently
    ``1 - H(Q_class) / log C``: 0 for perfectly balanced labels, 1 when all
    labels are of one class.

    Args:
        counts: (C,) labels per class, C >= 2.

    Returns:
        float: Imbalance in [0, 1]; 0 when nothing is labelled yet.
    """
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    if counts.numel() < 2:
        raise ValueError('imbalance_score needs at least 2 classes')
    if (counts < 0).any():
        raise ValueError('counts must be non-negative')
    total = float(counts.sum())
    if total == 0:
        return 0.
    share = counts / total
    num_classes = counts.numel()
    kl_class = float(torch.special.xlogy(share, share * num_classes).sum())
    return kl_class / math.log(num_classes)


@SCORERS.register_module()
class ClassBalancedScorer(BaseScorer):
    """CBDA's class balancing, wrapped around any scorer (Eqs. 1-3, Alg. 3).

    :meth:`prepare_round` turns the round's statistics (labels per class
    acquired so far, pool size, budget ratio, round index) into class
    weights; every score of the wrapped scorer is then multiplied by the
    weight of its pixel's pseudo label ``argmax_c p_c``. Weights lie in
    [eps, 1], so classes that reached their share of the budget are pushed
    down, never removed. The wrapped scores must be non-negative (all of
    :mod:`mmada.active.scorers` are).

    Args:
        scorer: Config (built from ``SCORERS``) or instance of the
            wrapped scorer.
        goal: Goal class distribution (C values summing to 1); ``None`` for
            uniform, as in the paper.
        eps: Floor of the weights (Eq. 2).
    """

    def __init__(self,
                 scorer: Union[dict, BaseScorer] = dict(type='RIPUScorer'),
                 goal: Optional[Sequence[float]] = None,
                 eps: float = 1e-6) -> None:
        if isinstance(scorer, dict):
            scorer = SCORERS.build(scorer)
        if not isinstance(scorer, BaseScorer):
            raise ValueError(f'ClassBalancedScorer: scorer must be a '
                             f'BaseScorer or its config, got {scorer!r}')
        if not eps > 0:
            raise ValueError(
                f'ClassBalancedScorer: eps must be > 0, got {eps}')
        self.scorer = scorer
        # The wrapped scorer's inputs, plus the softmax for the pseudo labels.
        self.inputs = tuple(dict.fromkeys(tuple(getattr(scorer, 'inputs', ('probs', ))) +
                                          ('probs', )))
        self.goal = None if goal is None else [float(g) for g in goal]
        self.eps = float(eps)
        self.weights: Optional[Tensor] = None

    def prepare_round(self, info: RoundInfo) -> None:
        """Compute the class weights of the round (Eqs. 1-2).

        Args:
            info: Round statistics; needs ``budget_ratio`` and uses
                ``labelled_per_class`` (empty = nothing labelled yet).
        """
        self.scorer.prepare_round(info)
        if info.budget_ratio is None:
            raise ValueError(
                'ClassBalancedScorer needs RoundInfo.budget_ratio '
                '(the budget must be a fraction of the pool)')
        labelled = torch.as_tensor(info.labelled_per_class).reshape(-1)
        if labelled.numel() == 0:
            labelled = torch.zeros(info.num_classes, dtype=torch.long)
        if labelled.numel() != info.num_classes:
            raise ValueError(f'labelled_per_class has {labelled.numel()} '
                             f'entries for {info.num_classes} classes')
        budgets = class_budgets(info.pool_pixels, info.budget_ratio,
                                info.round_index, info.num_rounds,
                                info.num_classes, self.goal)
        self.weights = class_weights(labelled, budgets, self.eps)

    def state_dict(self) -> dict:
        """The wrapped scorer's state (the weights are recomputed per round)."""
        return self.scorer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Restore the wrapped scorer's state."""
        self.scorer.load_state_dict(state)

    def __call__(self, probs: Tensor, ctx: ImageContext, **outputs: Tensor) -> Tensor:
        """Weighted scores ``A_hat = A x W_{pseudo label}`` (Eq. 3).

        Args:
            probs: (C, H, W) softmax probabilities.
            ctx: Per-image context, passed to the wrapped scorer.
            **outputs: Other model outputs the wrapped scorer declares.

        Returns:
            Tensor: (H, W) weighted scores.
        """
        if self.weights is None:
            raise RuntimeError('ClassBalancedScorer: call prepare_round() '
                               'before scoring')
        if probs.shape[0] != self.weights.numel():
            raise ValueError(f'probs has {probs.shape[0]} classes, the round '
                             f'has {self.weights.numel()}')
        outputs['probs'] = probs
        score = self.scorer(ctx=ctx, **{n: outputs[n] for n in self.scorer.inputs})
        F.check_probs(probs)
        labels = (F.compact_pseudo_labels(probs) if ctx is None else
                  ctx.derived('pseudo_labels', probs, F.compact_pseudo_labels))
        return weight_scores(score, labels, self.weights)
