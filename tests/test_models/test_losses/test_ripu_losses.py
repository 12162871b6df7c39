"""RIPU losses against hand-computed values."""
import math

import pytest
import torch

from mmada.models.losses import (LocalConsistencyLoss, NegativeLearningLoss,
                                 label_boundary_mask, local_consistency_loss,
                                 negative_learning_loss)
from mmada.registry import MODELS


def logits_of(rows, shape):
    """(1, C, h, w) logits whose softmax is the given per-pixel rows."""
    probs = torch.tensor(rows, dtype=torch.float64).t().reshape(1, -1, *shape)
    return probs.log().float().requires_grad_()


# --------------------------------------------------------------------------
# Negative learning (Eqs. 11-12)
# --------------------------------------------------------------------------
def test_negative_learning_hand_value():
    # pixel a = [0.96, 0.03, 0.01]: negatives (p < 0.05) 0.03 and 0.01
    #   -> -ln(0.97) = 0.030459, -ln(0.99) = 0.010050
    # pixel b = [0.5, 0.3, 0.2]: no negative
    # Lambda = 2 -> L = (0.030459 + 0.010050) / 2 = 0.020254
    logits = logits_of([[0.96, 0.03, 0.01], [0.5, 0.3, 0.2]], (1, 2))
    loss = negative_learning_loss(logits, tau=0.05)
    assert loss.item() == pytest.approx(0.020254, abs=1e-5)
    module = MODELS.build(dict(type='NegativeLearningLoss'))
    assert module.domain == 'target' and module.loss_name == 'loss_nl'
    assert module(seg_logits=logits).item() == pytest.approx(
        0.020254, abs=1e-5)
    # tau = 0.02 keeps only 0.01: -ln(0.99) / 1 = 0.010050
    assert NegativeLearningLoss(tau=0.02)(seg_logits=logits).item() == \
        pytest.approx(0.010050, abs=1e-5)


def test_negative_learning_zero_negatives_is_zero_not_nan():
    logits = logits_of([[0.5, 0.3, 0.2], [0.4, 0.3, 0.3]], (1, 2))
    loss = negative_learning_loss(logits, tau=0.05)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert (logits.grad == 0).all()


def test_negative_learning_saturated_softmax_has_finite_grad():
    # p ~ [1, 1e-13, 1e-13]: log(1 - p) of the top class would be -inf;
    # only the two negatives count: -ln(1 - 1e-13) ~ 1e-13
    logits = torch.tensor([[[[30.]], [[0.]], [[0.]]]], requires_grad=True)
    loss = negative_learning_loss(logits)
    loss.backward()
    assert loss.item() == pytest.approx(0.0, abs=1e-9)
    assert torch.isfinite(logits.grad).all()


# --------------------------------------------------------------------------
# Local consistency (Eq. 10)
# --------------------------------------------------------------------------
# One row of three pixels, C=2: P = [0.8, 0.2], [0.2, 0.8], [0.2, 0.8].
ROW = [[0.8, 0.2], [0.2, 0.8], [0.2, 0.8]]
# 3x3 neighbourhoods clipped to the 1x3 image:
#   px0 {0, 1}: mean [0.5, 0.5]  -> |0.3| + |0.3| = 0.6
#   px1 {0,1,2}: mean [1.2/3, 1.8/3] = [0.4, 0.6] -> 0.2 + 0.2 = 0.4
#   px2 {1, 2}: mean [0.2, 0.8]  -> 0
ROW_TERMS = (0.6, 0.4, 0.0)


def test_local_consistency_hand_value():
    logits = logits_of(ROW, (1, 3))
    # Eq. 10 averages over all pixels: (0.6 + 0.4 + 0) / 3 = 0.333333
    assert local_consistency_loss(logits).item() == pytest.approx(
        sum(ROW_TERMS) / 3, abs=1e-5)
    module = LocalConsistencyLoss(resolution='logits')
    assert module.domain == 'source' and module.inputs == ('seg_logits', )
    assert module(seg_logits=logits).item() == pytest.approx(1 / 3, abs=1e-5)
    # At input resolution an input of the logits' size changes nothing.
    module = LocalConsistencyLoss()
    assert module.inputs == ('seg_logits', 'img')
    assert module(seg_logits=logits, img=torch.zeros(1, 3, 1, 3)).item() == \
        pytest.approx(1 / 3, abs=1e-5)


# Logits of 1x2 pixels with P = [0.8, 0.2], [0.2, 0.8] for an input of 1x4
# pixels (output stride 2). For C = 2 the softmax depends on d = l0 - l1 only:
# d = [L, -L] with L = log 4. Bilinear upsampling (align_corners=False) takes
# the columns at source x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped
# to 1): d = [L, L/2, -L/2, -L], so p0 = sigmoid(d) = [0.8, 2/3, 1/3, 0.2].
# Clipped 1x3 means of p0: [0.7333, 0.6, 0.4, 0.2667]; |p0 - mean| = 1/15
# at every pixel, times 2 classes = 2/15 per pixel.
# At logits resolution both pixels see the mean [0.5, 0.5]: 2 * 0.3 = 0.6.
PAIR = [[0.8, 0.2], [0.2, 0.8]]


def test_local_consistency_input_vs_logits_resolution():
    logits = logits_of(PAIR, (1, 2))
    img = torch.zeros(1, 3, 1, 4)
    coarse = LocalConsistencyLoss(resolution='logits')
    fine = LocalConsistencyLoss(resolution='input')
    assert coarse(seg_logits=logits).item() == pytest.approx(0.6, abs=1e-5)
    assert fine(seg_logits=logits, img=img).item() == pytest.approx(2 / 15, abs=1e-5)
    # The authors' form: input resolution, label boundaries only. Labels
    # 0, 0, 1, 1: pixels 1 and 2 see the other class -> mean of 2/15 and 2/15.
    labels = torch.tensor([[[0, 0, 1, 1]]])
    authors = LocalConsistencyLoss(boundary_only=True)
    assert authors(seg_logits=logits, gt_sem_seg=labels).item() == \
        pytest.approx(2 / 15, abs=1e-5)
    # At logits resolution the nearest-downsampled labels are 0, 1: a boundary
    # at both pixels -> 0.6.
    coarse_b = LocalConsistencyLoss(boundary_only=True, resolution='logits')
    assert coarse_b(seg_logits=logits, gt_sem_seg=labels).item() == \
        pytest.approx(0.6, abs=1e-5)


def test_local_consistency_2x2_whole_image_windows():
    # 2x2 image: every 3x3 window is the whole image. Class-0 probabilities
    # 0.9, 0.1, 0.5, 0.5 -> mean 0.5; per pixel |p - mean| summed over the
    # two classes: 0.8, 0.8, 0, 0 -> average 0.4
    logits = logits_of([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [0.5, 0.5]],
                       (2, 2))
    assert local_consistency_loss(logits).item() == pytest.approx(
        0.4, abs=1e-5)


def test_local_consistency_boundary_only():
    logits = logits_of(ROW, (1, 3))
    # labels 0, 1, 1: px0 and px1 see another label, px2 only sees 1s
    # -> mean of 0.6 and 0.4 = 0.5
    labels = torch.tensor([[[0, 1, 1]]])
    loss = LocalConsistencyLoss(boundary_only=True)
    assert loss.inputs == ('seg_logits', 'gt_sem_seg')
    assert loss(seg_logits=logits, gt_sem_seg=labels).item() == \
        pytest.approx(0.5, abs=1e-5)
    coarse = LocalConsistencyLoss(boundary_only=True, resolution='logits')
    assert coarse(seg_logits=logits, gt_sem_seg=labels[:, None]).item() == \
        pytest.approx(0.5, abs=1e-5)
    # px0 ignored: px1's valid neighbours are all 1 -> no boundary -> 0
    ignored = torch.tensor([[[255, 1, 1]]])
    value = loss(seg_logits=logits, gt_sem_seg=ignored)
    assert value.item() == 0.0
    value.backward()
    assert torch.isfinite(logits.grad).all()


def test_local_consistency_upsamples_logits_to_labels():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 5, 6, generator=gen, requires_grad=True)
    labels = torch.randint(0, 4, (2, 20, 24), generator=gen)
    value = LocalConsistencyLoss(boundary_only=True)(
        seg_logits=logits, gt_sem_seg=labels)
    value.backward()
    assert value.item() > 0 and logits.grad.shape == logits.shape


def test_label_boundary_mask_5x5():
    labels = torch.zeros(1, 5, 5, dtype=torch.long)
    labels[:, :, 2:] = 1  # columns 0-1 class 0, columns 2-4 class 1
    labels[0, 4, 4] = 255
    mask = label_boundary_mask(labels)
    expected = torch.zeros(1, 5, 5, dtype=torch.bool)
    expected[:, :, 1:3] = True  # both sides of the class edge
    assert torch.equal(mask, expected)  # borders and the 255 neighbour: no


@pytest.mark.parametrize('build', [
    lambda: NegativeLearningLoss(tau=0.),
    lambda: NegativeLearningLoss(tau=1.5),
    lambda: NegativeLearningLoss(loss_name='nl'),
    lambda: LocalConsistencyLoss(resolution='image'),
    lambda: LocalConsistencyLoss(inputs=('seg_logits', )),
    lambda: LocalConsistencyLoss(boundary_only=True, inputs=('seg_logits', )),
    lambda: LocalConsistencyLoss(domain='both'),
])
def test_bad_loss_arguments(build):
    with pytest.raises(ValueError):
        build()


def test_bad_loss_inputs():
    with pytest.raises(ValueError):
        local_consistency_loss(torch.randn(2, 3, 4))
    with pytest.raises(ValueError):
        LocalConsistencyLoss(
            boundary_only=True, inputs=('seg_logits', 'gt_sem_seg'))(
                seg_logits=torch.randn(1, 2, 3, 3))
    assert math.isfinite(
        local_consistency_loss(
            torch.randn(1, 2, 3, 3), torch.zeros(1, 3, 3,
                                                 dtype=torch.bool)).item())
