"""Scorers and RIPU math against hand-computed values."""
import math

import pytest
import torch

from mmada.active import (EntropyScorer, ImageContext, MarginScorer,
                          RandomScorer, RIPUScorer, SoftmaxConfidenceScorer)
from mmada.active import functional as F
from mmada.registry import SCORERS

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)


def ctx(seed=0, shape=(1, 3)):
    return ImageContext(
        index=0,
        labelled=torch.zeros(shape, dtype=torch.bool),
        generator=torch.Generator().manual_seed(seed))


def probs_from_rows(rows, shape):
    """(C, H, W) probabilities from a list of per-pixel distributions."""
    return torch.tensor(rows, dtype=torch.float32).t().reshape(-1, *shape)


# --------------------------------------------------------------------------
# Pixel-wise scorers on 2-3 pixel examples
# --------------------------------------------------------------------------
# Three pixels of a C=2 prediction: [0.5, 0.5], [1, 0], [0.9, 0.1].
TWO_CLASS = probs_from_rows([[0.5, 0.5], [1., 0.], [0.9, 0.1]], (1, 3))


def test_entropy_scorer_hand_values():
    # H = -sum p ln p:  ln 2 = 0.693147;  0 (0 ln 0 = 0);
    # 0.9 * 0.105361 + 0.1 * 2.302585 = 0.094825 + 0.230259 = 0.325083
    expected = torch.tensor([[0.693147, 0.0, 0.325083]])
    assert torch.allclose(
        EntropyScorer()(TWO_CLASS, ctx()), expected, atol=1e-5)
    # normalised by ln C = ln 2: 1, 0, 0.325083 / 0.693147 = 0.468996
    normalized = EntropyScorer(normalize=True)(TWO_CLASS, ctx())
    assert torch.allclose(
        normalized, torch.tensor([[1.0, 0.0, 0.468996]]), atol=1e-5)


def test_softmax_confidence_hand_values():
    # 1 - max p: 1 - 0.5, 1 - 1, 1 - 0.9
    score = SoftmaxConfidenceScorer()(TWO_CLASS, ctx())
    assert torch.allclose(score, torch.tensor([[0.5, 0.0, 0.1]]), atol=1e-6)


def test_margin_hand_values():
    # C=3: [0.5, 0.3, 0.2] -> 1 - 0.2 = 0.8; [0.4, 0.4, 0.2] -> 1 - 0 = 1;
    # [1, 0, 0] -> 1 - 1 = 0 (small margin = high score)
    probs = probs_from_rows([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [1., 0., 0.]],
                            (1, 3))
    score = MarginScorer()(probs, ctx())
    assert torch.allclose(score, torch.tensor([[0.8, 1.0, 0.0]]), atol=1e-6)


def test_random_scorer_uses_context_generator():
    probs = torch.full((4, 6, 7), 0.25)
    a = RandomScorer()(probs, ctx(seed=3, shape=(6, 7)))
    b = RandomScorer()(probs, ctx(seed=3, shape=(6, 7)))
    c = RandomScorer()(probs, ctx(seed=4, shape=(6, 7)))
    assert a.shape == (6, 7)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert ((a >= 0) & (a < 1)).all()


# --------------------------------------------------------------------------
# Region impurity (Eq. 4) and uncertainty (Eq. 6) on 5x5 maps, k=1
# --------------------------------------------------------------------------
LABELS_5X5 = torch.tensor([
    [0, 0, 0, 1, 1],
    [0, 0, 0, 1, 1],
    [0, 0, 2, 2, 2],
    [3, 3, 2, 2, 2],
    [3, 3, 2, 2, 2],
])
# -(2/3 ln 2/3 + 1/3 ln 1/3) = 0.270310 + 0.366204
TWO_THIRDS_ONE_THIRD = 0.636514
# centre (2,2): rows 1-3, cols 1-3 hold 0,0,1 / 0,2,2 / 3,2,2
#   -> class 0: 3, class 1: 1, class 2: 4, class 3: 1 (of 9)
#   -(3/9 ln 3/9 + 2 * 1/9 ln 1/9 + 4/9 ln 4/9)
#   = 0.366204 + 0.488272 + 0.360413
CENTRE_IMPURITY = 1.214889
IMPURITY_CASES = [
    ((0, 0), 0.0),  # corner: 4 pixels, all class 0
    ((0, 4), 0.0),  # corner: 4 pixels, all class 1
    ((4, 0), 0.0),  # corner: 4 pixels, all class 3
    ((0, 2), TWO_THIRDS_ONE_THIRD),  # top edge: 6 px, four 0s, two 1s
    ((4, 2), TWO_THIRDS_ONE_THIRD),  # bottom edge: two 3s, four 2s
    ((2, 0), TWO_THIRDS_ONE_THIRD),  # left edge: four 0s, two 3s
    ((2, 4), TWO_THIRDS_ONE_THIRD),  # right edge: two 1s, four 2s
    ((4, 4), 0.0),  # corner: all class 2
    ((2, 2), CENTRE_IMPURITY),
]


@pytest.mark.parametrize('pos,expected', IMPURITY_CASES)
def test_region_impurity_5x5(pos, expected):
    impurity = F.region_impurity(LABELS_5X5, num_classes=4, k=1)
    assert impurity[pos].item() == pytest.approx(expected, abs=1e-5)
    normalized = F.region_impurity(LABELS_5X5, 4, 1, normalize=True)
    assert normalized[pos].item() == pytest.approx(expected / LN4, abs=1e-5)


def test_region_impurity_window_covering_image():
    # k=32 on a 5x5 map: every window is the whole image; class counts
    # 0: 8, 1: 4, 2: 9, 3: 4 (of 25)
    counts = torch.tensor([8., 4., 9., 4.]) / 25
    expected = float(-(counts * counts.log()).sum())
    impurity = F.region_impurity(LABELS_5X5, 4, 32)
    assert torch.allclose(impurity, torch.full((5, 5), expected), atol=1e-5)


ENTROPY_5X5 = torch.arange(25, dtype=torch.float32).reshape(5, 5)
UNCERTAINTY_CASES = [
    (1, (0, 0), (0 + 1 + 5 + 6) / 4),  # corner: 4 pixels
    (1, (0, 2), (1 + 2 + 3 + 6 + 7 + 8) / 6),  # edge: 6 pixels
    (1, (4, 2), (16 + 17 + 18 + 21 + 22 + 23) / 6),
    (1, (4, 4), (18 + 19 + 23 + 24) / 4),
    (1, (2, 2), 12.0),  # interior: linear map, mean = centre
    (2, (0, 0), (0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12) / 9),
    (2, (2, 2), 12.0),  # the whole image
]


@pytest.mark.parametrize('k,pos,expected', UNCERTAINTY_CASES)
def test_region_uncertainty_5x5(k, pos, expected):
    uncertainty = F.region_uncertainty(ENTROPY_5X5, k)
    assert uncertainty[pos].item() == pytest.approx(expected, abs=1e-5)


def test_box_sum_matches_definition():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 7, 9, generator=gen)
    for k in (0, 1, 2, 5):
        out = F.box_sum(x, k)
        for i in range(7):
            for j in range(9):
                window = x[:, max(0, i - k):i + k + 1, max(0, j - k):j + k + 1]
                assert torch.allclose(
                    out[:, i, j], window.sum((1, 2)), atol=1e-5)
    counts = F.box_sum(torch.ones(4, 5, dtype=torch.bool), 1)
    assert counts.dtype == torch.int64
    assert torch.equal(counts, F.box_count((4, 5), 1))
    assert counts[0, 0] == 4 and counts[0, 2] == 6 and counts[1, 1] == 9


# --------------------------------------------------------------------------
# RIPUScorer end to end
# --------------------------------------------------------------------------
def constant_entropy_probs(labels, num_classes=4):
    """p = 0.6 on the label, 0.4 / 3 on the others: constant entropy."""
    probs = torch.full((num_classes, *labels.shape), 0.4 / (num_classes - 1))
    probs.scatter_(0, labels[None], 0.6)
    return probs


# -(0.6 ln 0.6 + 3 * (0.4/3) ln(0.4/3)) = 0.306495 + 0.805962
CONST_ENTROPY = 1.112457


@pytest.mark.parametrize('mode', ['region', 'pixel'])
@pytest.mark.parametrize('pos,impurity', IMPURITY_CASES)
def test_ripu_scorer_constant_entropy(mode, pos, impurity):
    probs = constant_entropy_probs(LABELS_5X5)
    score = RIPUScorer(k=1, mode=mode, normalize=False)(probs, ctx())
    assert score[pos].item() == pytest.approx(
        CONST_ENTROPY * impurity, abs=1e-5)
    normalized = RIPUScorer(k=1, mode=mode)(probs, ctx())
    assert normalized[pos].item() == pytest.approx(
        CONST_ENTROPY / LN4 * impurity / LN4, abs=1e-5)
    impurity_only = RIPUScorer(
        k=1, mode=mode, normalize=False, use_uncertainty=False)(probs, ctx())
    assert impurity_only[pos].item() == pytest.approx(impurity, abs=1e-5)
    uncertainty_only = RIPUScorer(
        k=1, mode=mode, normalize=False, use_impurity=False)(probs, ctx())
    assert uncertainty_only[pos].item() == pytest.approx(
        CONST_ENTROPY, abs=1e-5)


def test_ripu_region_vs_pixel_mode():
    # C=2, one row: [0.5, 0.5] (label 0: first class on ties), [1, 0]
    # (label 0), [0.1, 0.9] (label 1); k=1, no normalisation.
    probs = probs_from_rows([[0.5, 0.5], [1., 0.], [0.1, 0.9]], (1, 3))
    # entropy: ln2 = 0.693147, 0, 0.325083
    # impurity: px0 {0,0} -> 0; px1 {0,0,1} -> 0.636514; px2 {0,1} -> ln 2
    # region uncertainty: (0.693147 + 0) / 2 = 0.346574,
    #   (0.693147 + 0 + 0.325083) / 3 = 0.339410, (0 + 0.325083) / 2
    #   = 0.162542
    # RA: 0.346574 * 0 = 0; 0.339410 * 0.636514 = 0.216040;
    #     0.162542 * 0.693147 = 0.112665
    # PA: 0.693147 * 0 = 0; 0 * 0.636514 = 0; 0.325083 * 0.693147 = 0.225331
    ra = RIPUScorer(k=1, mode='region', normalize=False)(probs, ctx())
    pa = RIPUScorer(k=1, mode='pixel', normalize=False)(probs, ctx())
    assert torch.allclose(
        ra, torch.tensor([[0.0, 0.216040, 0.112665]]), atol=1e-5)
    assert torch.allclose(pa, torch.tensor([[0.0, 0.0, 0.225331]]), atol=1e-5)


def test_pseudo_labels_first_class_on_ties():
    probs = probs_from_rows([[0.5, 0.5, 0.0], [0.2, 0.4, 0.4], [0., 0., 1.]],
                            (1, 3))
    assert F.pseudo_labels(probs).tolist() == [[0, 1, 2]]
    assert torch.equal(F.pseudo_labels(probs), probs.argmax(0))


def test_scorers_build_from_registry():
    scorer = SCORERS.build(dict(type='RIPUScorer', k=2, mode='pixel'))
    assert isinstance(scorer, RIPUScorer) and scorer.k == 2


@pytest.mark.parametrize('kwargs', [
    dict(k=-1),
    dict(k=1.5),
    dict(mode='square'),
    dict(use_impurity=False, use_uncertainty=False),
])
def test_ripu_scorer_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RIPUScorer(**kwargs)


def test_bad_probs_raise():
    with pytest.raises(ValueError):
        EntropyScorer()(torch.rand(3, 4), ctx())
    with pytest.raises(ValueError):
        MarginScorer()(torch.ones(1, 2, 2), ctx())
    with pytest.raises(ValueError):
        F.region_impurity(torch.tensor([[0, 5]]), num_classes=4, k=1)
    with pytest.raises(ValueError):
        F.box_sum(torch.rand(3, 3), -1)
