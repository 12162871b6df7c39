"""OHEM cross-entropy (MADAv2 Eq. 13): the kept set and the loss on hand examples."""
import math

import pytest
import torch

from mmada.models.losses import OHEMCrossEntropyLoss, ohem_cross_entropy, ohem_kept_mask
from mmada.registry import MODELS


def logits_of(p_class0):
    """(1, 2, 1, N) logits whose softmax gives class 0 the probabilities ``p_class0``."""
    p = torch.tensor(p_class0, dtype=torch.float64)
    return torch.stack([p, 1 - p]).log().float()[None, :, None, :]


# ground-truth-class probabilities of the valid pixels: 0.9 0.6 0.8 0.3 0.75 (pixel 5 ignored)
P = [0.9, 0.6, 0.8, 0.3, 0.75, 0.5]
LABELS = torch.tensor([[[0, 0, 0, 0, 0, 255]]])


@pytest.mark.parametrize('min_kept, kept', [
    (2, [1, 3]),           # 2nd smallest 0.6 < 0.7: threshold 0.7 -> 0.6, 0.3
    (4, [1, 2, 3, 4]),     # 4th smallest 0.8 > 0.7: threshold 0.8 -> 0.6, 0.8, 0.3, 0.75
    (5, [0, 1, 2, 3, 4]),  # 5th smallest 0.9: every valid pixel
    (6, [0, 1, 2, 3, 4]),  # 6 > 5 valid pixels: no mining
    (0, [1, 3]),           # no minimum: p <= 0.7
])
def test_kept_set_hand_example(min_kept, kept):
    mask = ohem_kept_mask(logits_of(P), LABELS, thresh=0.7, min_kept=min_kept)
    assert mask[0, 0].nonzero()[:, 0].tolist() == kept


def test_kept_set_uses_the_label_class_and_ties():
    # label 1 at pixel 0: its probability is 1 - 0.9 = 0.1 (hard); pixel 2 (0.7) ties
    # the threshold and is kept; the ignored pixel never is, whatever its probability.
    labels = torch.tensor([[[1, 0, 0, 0, 255]]])
    mask = ohem_kept_mask(logits_of([0.9, 0.95, 0.7, 0.8, 0.01]), labels, 0.7, 1)
    assert mask[0, 0].tolist() == [True, False, True, False, False]


def test_loss_is_the_mean_ce_of_the_kept_pixels():
    logits = logits_of(P).requires_grad_()
    loss = ohem_cross_entropy(logits, LABELS, thresh=0.7, min_kept=2)
    assert loss.item() == pytest.approx((-math.log(0.6) - math.log(0.3)) / 2, abs=1e-5)
    loss.backward()
    grad = logits.grad[0, 0, 0]
    assert grad[[0, 2, 4, 5]].abs().max() == 0 and grad[[1, 3]].abs().min() > 0


def test_loss_resizes_logits_and_is_zero_without_labels():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    labels = torch.full((2, 8, 8), 255)
    loss = ohem_cross_entropy(logits, labels)
    assert loss.item() == 0
    loss.backward()  # keeps a graph
    labels[0, :2] = 1
    assert ohem_cross_entropy(logits, labels, min_kept=10).item() > 0


def test_module_from_config():
    module = MODELS.build(dict(type='OHEMCrossEntropyLoss', min_kept=2, domain='pseudo'))
    assert isinstance(module, OHEMCrossEntropyLoss) and module.inputs == ('seg_logits', 'gt_sem_seg')
    value = module(seg_logits=logits_of(P), gt_sem_seg=LABELS)
    assert value.item() == pytest.approx((-math.log(0.6) - math.log(0.3)) / 2, abs=1e-5)
    with pytest.raises(ValueError, match='thresh'):
        OHEMCrossEntropyLoss(thresh=1.5)
