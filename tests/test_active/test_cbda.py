"""CBDA: class budgets, weights, weighted scores, imbalance score."""
import math

import pytest
import torch

from mmada.active import (BaseScorer, ClassBalancedScorer, ImageContext,
                          RoundInfo, class_budgets, class_weights,
                          imbalance_score, weight_scores)
from mmada.registry import SCORERS

EPS = 1e-6


class OnesScorer(BaseScorer):
    """Score 1 everywhere; records the rounds it was prepared for."""

    def __init__(self):
        self.rounds = []

    def prepare_round(self, info):
        self.rounds.append(info.round_index)

    def __call__(self, probs, ctx):
        return torch.ones(probs.shape[1:])


class NegativeScorer(BaseScorer):

    def __call__(self, probs, ctx):
        return -torch.ones(probs.shape[1:])


def ctx(shape=(1, 3)):
    return ImageContext(0, torch.zeros(shape, dtype=torch.bool),
                        torch.Generator().manual_seed(0))


# Three pixels whose pseudo labels are 0, 2, 1 (C=3).
PROBS = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.2, 0.7],
                      [0.3, 0.6, 0.1]]).t().reshape(3, 1, 3)


def round_info(labelled, round_index=1, num_rounds=1, ratio=0.03):
    return RoundInfo(
        round_index=round_index,
        num_rounds=num_rounds,
        num_classes=3,
        pool_pixels=1000,
        budget_ratio=ratio,
        labelled_per_class=torch.tensor(labelled))


def test_class_budgets_hand_values():
    # B = 1000 px * 0.1 / 4 classes * 2 / 5 rounds = 10 per class
    budgets = class_budgets(1000, 0.1, 2, 5, 4)
    assert torch.allclose(budgets, torch.full((4, ), 10.0,
                                              dtype=torch.float64))
    # goal (0.5, 0.25, 0.25, 0): 1000 * 0.1 * g * 0.4 = 20, 10, 10, 0
    budgets = class_budgets(1000, 0.1, 2, 5, 4, goal=[0.5, 0.25, 0.25, 0.])
    assert budgets.tolist() == pytest.approx([20., 10., 10., 0.])
    # last round: 1000 * 0.1 / 4 * 5 / 5 = 25
    assert class_budgets(1000, 0.1, 5, 5,
                         4).tolist() == pytest.approx([25.] * 4)


def test_class_weights_hand_values():
    # W = max(1 - L / B, eps) with B = 10: L = 0 -> 1; 5 -> 0.5;
    # 10 -> max(0, eps) = eps; 20 -> max(-1, eps) = eps
    weights = class_weights(
        torch.tensor([0, 5, 10, 20]), torch.full((4, ), 10.), eps=EPS)
    assert weights.tolist() == pytest.approx([1.0, 0.5, EPS, EPS])
    # a class with a zero budget (goal share 0) gets eps
    weights = class_weights(torch.tensor([0, 0]), torch.tensor([10., 0.]))
    assert weights.tolist() == pytest.approx([1.0, EPS])


def test_weights_applied_through_pseudo_labels():
    # B = 1000 * 0.03 / 3 * 1 / 1 = 10; L = (0, 5, 10) -> W = (1, 0.5, eps)
    inner = OnesScorer()
    scorer = ClassBalancedScorer(scorer=inner)
    scorer.prepare_round(round_info([0, 5, 10]))
    assert inner.rounds == [1]  # the wrapped scorer is prepared too
    assert scorer.weights.tolist() == pytest.approx([1.0, 0.5, EPS])
    # pseudo labels 0, 2, 1 -> weights 1, eps, 0.5
    score = scorer(PROBS, ctx())
    assert score[0].tolist() == pytest.approx([1.0, EPS, 0.5])


def test_wrapping_a_registered_scorer():
    scorer = SCORERS.build(
        dict(type='ClassBalancedScorer', scorer=dict(type='EntropyScorer')))
    # round 2 of 2: B = 1000 * 0.03 / 3 * 2 / 2 = 10; L = (2, 4, 0)
    # -> W = (0.8, 0.6, 1)
    scorer.prepare_round(round_info([2, 4, 0], round_index=2, num_rounds=2))
    # entropy -sum p ln p (ln 0.8 = -0.223144, ln 0.7 = -0.356675,
    # ln 0.6 = -0.510826, ln 0.3 = -1.203973, ln 0.2 = -1.609438,
    # ln 0.1 = -2.302585):
    #   (0.8, 0.1, 0.1): 0.178515 + 2 * 0.230259            = 0.639032
    #   (0.1, 0.2, 0.7): 0.230259 + 0.321888 + 0.249672     = 0.801819
    #   (0.3, 0.6, 0.1): 0.361192 + 0.306495 + 0.230259     = 0.897946
    # pseudo labels 0, 2, 1 -> weights 0.8, 1.0, 0.6:
    #   0.8 * 0.639032 = 0.511225; 0.801819; 0.6 * 0.897946 = 0.538767
    score = scorer(PROBS, ctx())
    assert score.shape == (1, 3)
    assert score[0].tolist() == pytest.approx([0.511225, 0.801819, 0.538767],
                                              abs=2e-6)


def test_nothing_labelled_gives_unit_weights():
    scorer = ClassBalancedScorer(scorer=OnesScorer())
    info = round_info([0, 0, 0])
    info.labelled_per_class = torch.zeros(0, dtype=torch.long)
    scorer.prepare_round(info)
    assert scorer.weights.tolist() == [1.0, 1.0, 1.0]


def test_goal_distribution_weights():
    # goal (0.5, 0.5, 0): B = 1000 * 0.03 * g = 15, 15, 0; L = (3, 0, 0)
    # -> W = (1 - 3/15, 1, eps) = (0.8, 1, eps)
    scorer = ClassBalancedScorer(scorer=OnesScorer(), goal=[0.5, 0.5, 0.])
    scorer.prepare_round(round_info([3, 0, 0]))
    assert scorer.weights.tolist() == pytest.approx([0.8, 1.0, EPS])


def test_imbalance_score_hand_values():
    assert imbalance_score(torch.tensor([5, 5, 5, 5])) == pytest.approx(0.)
    assert imbalance_score(torch.tensor([10, 0, 0, 0])) == pytest.approx(1.)
    # [3, 1]: KL = 0.75 ln(0.75 * 2) + 0.25 ln(0.25 * 2)
    #            = 0.304099 - 0.173287 = 0.130812;  / ln 2 = 0.188722
    assert imbalance_score(torch.tensor([3, 1])) == pytest.approx(
        0.188722, abs=1e-6)
    assert imbalance_score(torch.zeros(4)) == 0.


def test_cbda_bad_inputs():
    with pytest.raises(ValueError):  # negative scores cannot be down-weighted
        weight_scores(-torch.ones(1, 3), torch.zeros(1, 3, dtype=torch.long),
                      torch.ones(3))
    scorer = ClassBalancedScorer(scorer=NegativeScorer())
    scorer.prepare_round(round_info([0, 0, 0]))
    with pytest.raises(ValueError):
        scorer(PROBS, ctx())
    with pytest.raises(RuntimeError):  # scoring before prepare_round
        ClassBalancedScorer(scorer=OnesScorer())(PROBS, ctx())
    with pytest.raises(ValueError):
        ClassBalancedScorer(scorer=OnesScorer()).prepare_round(
            round_info([0, 0, 0], ratio=None))
    with pytest.raises(ValueError):
        ClassBalancedScorer(
            scorer=OnesScorer(),
            goal=[0.5, 0.4, 0.]).prepare_round(round_info([0, 0, 0]))
    with pytest.raises(ValueError):
        ClassBalancedScorer(scorer=OnesScorer(), eps=0.)
    with pytest.raises(ValueError):
        class_budgets(1000, 0.1, 6, 5, 4)  # round index beyond the schedule
    with pytest.raises(ValueError):
        imbalance_score(torch.tensor([3]))
    assert math.isfinite(
        class_weights(torch.tensor([1]), torch.tensor([0.])).item())
