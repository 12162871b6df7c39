"""ADA-MCU contrastive math (Eqs. 7-11) against hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmada.models.losses import (class_centres, confusion_counts, confusion_rates,
                                 dccm_update, gather_points, sample_indices,
                                 weighted_info_nce)

# Hand example: 2 classes, 4 unit embeddings in 2-d.
#   anchor a = (1, 0), class 0
#   p = (0.6, 0.8) class 0   a.p  = 0.6
#   n = (0, 1)     class 1   a.n  = 0
#   m = (-1, 0)    class 1   a.m  = -1
A = torch.tensor([[1., 0.]])
SAMPLES = torch.tensor([[0.6, 0.8], [0., 1.], [-1., 0.]])
SAMPLE_LABELS = torch.tensor([0, 1, 1])


def test_info_nce_hand_value_one_positive():
    # lambda = 0.5: logits 1.2, 0, -2
    # -log(e^1.2 / (e^1.2 + e^0 + e^-2)) = -log(3.3201 / 4.4554) = 0.29413
    expected = -math.log(math.exp(1.2) / (math.exp(1.2) + 1 + math.exp(-2)))
    loss, valid = weighted_info_nce(A, torch.tensor([0]), SAMPLES, SAMPLE_LABELS, 0.5)
    assert valid.tolist() == [True]
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.29413, abs=1e-4)


def test_info_nce_weights_scale_each_pair_by_w_u_v():
    # Eq. 10 with W = [[0.9, 0.1], [0.2, 0.8]]: anchor class 0 ->
    # positive logit 0.9 * 1.2 = 1.08, negatives 0.1 * 0 = 0, 0.1 * -2 = -0.2
    weights = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    expected = -math.log(math.exp(1.08) / (math.exp(1.08) + 1 + math.exp(-0.2)))
    loss, _ = weighted_info_nce(A, torch.tensor([0]), SAMPLES, SAMPLE_LABELS, 0.5,
                                weights=weights)
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_info_nce_averages_over_positives_and_each_positive_has_its_own_term():
    # anchor of class 1: positives n (logit 0) and m (logit -2), negative p (1.2)
    # Eq. 9: mean of -log(e^0/(e^0+e^1.2)) and -log(e^-2/(e^-2+e^1.2));
    # the other positive is not in the denominator (Eq. 10 sums negatives only)
    t1 = -math.log(1 / (1 + math.exp(1.2)))
    t2 = -math.log(math.exp(-2) / (math.exp(-2) + math.exp(1.2)))
    loss, valid = weighted_info_nce(A, torch.tensor([1]), SAMPLES, SAMPLE_LABELS, 0.5)
    assert loss.item() == pytest.approx((t1 + t2) / 2, abs=1e-6)


def test_info_nce_anchor_without_positive_and_exclusion():
    loss, valid = weighted_info_nce(A, torch.tensor([0]), SAMPLES[1:], SAMPLE_LABELS[1:],
                                    0.5)
    assert valid.tolist() == [False] and loss.item() == 0.0
    # excluding the positive (the anchor's own pixel) leaves no term either
    loss, valid = weighted_info_nce(A, torch.tensor([0]), SAMPLES, SAMPLE_LABELS, 0.5,
                                    exclude=torch.tensor([[True, False, False]]))
    assert valid.tolist() == [False]
    # no negative: -log(e^l / e^l) = 0
    loss, valid = weighted_info_nce(A, torch.tensor([0]), SAMPLES[:1], SAMPLE_LABELS[:1],
                                    0.5)
    assert valid.tolist() == [True] and loss.item() == pytest.approx(0.0, abs=1e-7)


def test_c2c_hand_value_on_class_centres():
    # Eq. 11: centres of the anchors' classes against centres of the samples'.
    # Anchors (class 0): (1, 0) and (0, 1) -> centre (1, 1)/sqrt2.
    # Samples: class 0 (1, 0), (0.6, 0.8) -> mean (0.8, 0.4) -> /|.| = (2, 1)/sqrt5
    #          class 1 (-1, 0), (0, -1)  -> (-1, -1)/sqrt2
    anchors = torch.tensor([[1., 0.], [0., 1.]])
    samples = torch.tensor([[1., 0.], [0.6, 0.8], [-1., 0.], [0., -1.]])
    a_c, a_lab = class_centres(anchors, torch.tensor([0, 0]), 2)
    s_c, s_lab = class_centres(samples, torch.tensor([0, 0, 1, 1]), 2)
    torch.testing.assert_close(a_c, torch.tensor([[1., 1.]]) / math.sqrt(2))
    torch.testing.assert_close(s_c, torch.tensor([[2., 1.], [-1., -1.]]) /
                               torch.tensor([[math.sqrt(5)], [math.sqrt(2)]]))
    assert a_lab.tolist() == [0] and s_lab.tolist() == [0, 1]
    # lambda = 1: positive 3/sqrt10 = 0.94868, negative -1
    # -log(e^0.94868 / (e^0.94868 + e^-1)) = log(1 + e^-1.94868) = 0.13319
    pos, neg = 3 / math.sqrt(10), -1.
    expected = -math.log(math.exp(pos) / (math.exp(pos) + math.exp(neg)))
    assert expected == pytest.approx(0.13319, abs=1e-4)
    loss, valid = weighted_info_nce(a_c, a_lab, s_c, s_lab, 1.0)
    assert valid.tolist() == [True]
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_info_nce_gradient_pulls_positive_and_pushes_negative():
    anchor = A.clone().requires_grad_()
    loss, _ = weighted_info_nce(anchor, torch.tensor([0]), SAMPLES, SAMPLE_LABELS, 0.5)
    loss.sum().backward()
    step = -anchor.grad[0]  # gradient descent direction
    assert step @ SAMPLES[0] > 0  # towards the positive
    assert step @ SAMPLES[1] < 0  # away from the closest negative


# --------------------------------------------------------------------------
# DCCM (Eqs. 7-8)
# --------------------------------------------------------------------------
def test_confusion_rates_hand_value():
    # class 0: 4 pixels, 3 predicted 0, 1 predicted 1 -> R[0] = [0.75, 0.25]
    # class 1: 2 pixels, both predicted 0             -> R[1] = [1, 0]
    # class 2: no pixel (ignored pixel predicted 2 does not count)
    labels = torch.tensor([[0, 0, 0, 0], [1, 1, 255, 255]])
    pred = torch.tensor([[0, 0, 1, 0], [0, 0, 2, 1]])
    counts = confusion_counts(pred, labels, 3)
    assert counts.tolist() == [[3, 1, 0], [2, 0, 0], [0, 0, 0]]
    rates, seen = confusion_rates(counts)
    torch.testing.assert_close(rates, torch.tensor(
        [[0.75, 0.25, 0], [1, 0, 0], [0, 0, 0]], dtype=torch.float64))
    assert seen.tolist() == [True, True, False]


def test_dccm_update_is_ema_of_seen_rows_only():
    # beta = 0.9: w = 0.9 w + 0.1 R on rows 0 and 1; row 2 (unseen) unchanged
    dccm = torch.eye(3)
    rates = torch.tensor([[0.75, 0.25, 0], [1, 0, 0], [0, 0, 0]], dtype=torch.float64)
    new = dccm_update(dccm, rates, torch.tensor([True, True, False]), beta=0.9)
    torch.testing.assert_close(new, torch.tensor(
        [[0.975, 0.025, 0], [0.1, 0.9, 0], [0, 0, 1]]))
    assert new.dtype == torch.float32
    # a second step: w = 0.9 * 0.975 + 0.1 * 0.75 = 0.9525
    again = dccm_update(new, rates, torch.tensor([True, False, False]), beta=0.9)
    assert again[0, 0].item() == pytest.approx(0.9525, abs=1e-6)
    assert again[1].tolist() == new[1].tolist()
    with pytest.raises(ValueError, match='beta'):
        dccm_update(dccm, rates, torch.tensor([True] * 3), beta=1.0)


# --------------------------------------------------------------------------
# Sampling and reading features at label-resolution pixels
# --------------------------------------------------------------------------
def test_sample_indices_bounded_unique_and_reproducible():
    mask = torch.zeros(10, 10, dtype=torch.bool)
    mask[2:8, 1:9] = True  # 48 candidates
    a = sample_indices(mask, 10, torch.Generator().manual_seed(3))
    b = sample_indices(mask, 10, torch.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and a.numel() == 10 and a.unique().numel() == 10
    assert mask.reshape(-1)[a].all()
    assert sample_indices(mask, 100).numel() == 48  # fewer candidates: all of them


@pytest.mark.parametrize('align_corners', [False, True])
def test_gather_points_equals_upsampling_then_indexing(align_corners):
    torch.manual_seed(0)
    maps = torch.randn(5, 4, 8)
    up = F.interpolate(maps[None], size=(32, 64), mode='bilinear',
                       align_corners=align_corners)[0]
    idx = torch.tensor([0, 63, 64 * 31, 64 * 32 - 1, 5 * 64 + 17, 20 * 64 + 40])
    got = gather_points(maps, idx, (32, 64), align_corners=align_corners)
    torch.testing.assert_close(got, up.reshape(5, -1)[:, idx].t(), rtol=1e-5, atol=1e-5)
