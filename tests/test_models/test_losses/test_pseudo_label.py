"""ADA-MCU's pseudo-label cross-entropy (Eqs. 4-6): hard labels, pixel weighting."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmada.models.losses import PseudoLabelCELoss
from mmada.models.losses.pseudo_label import pseudo_label_ce


def test_soft_self_target_has_zero_gradient_hard_one_does_not():
    """Eq. 5 read literally (the target is softmax(p), detached) trains
    nothing: the gradient of the soft cross-entropy is softmax(z) - target,
    zero when the target is the model's own softmax. The argmax target (what
    the acquisition writes into pseudo_sem_seg) has the gradient
    (softmax(z) - onehot) / N."""
    torch.manual_seed(0)
    logits = torch.randn(1, 4, 2, 3, requires_grad=True)
    soft = logits.softmax(1).detach()
    soft_ce = -(soft * logits.log_softmax(1)).sum(1).mean()
    grad, = torch.autograd.grad(soft_ce, logits)
    assert grad.abs().max().item() < 1e-7
    assert soft_ce.item() > 0.1  # a loss value, but no signal

    hard = logits.detach().argmax(1)
    loss = PseudoLabelCELoss()(logits, hard)
    grad, = torch.autograd.grad(loss, logits)
    expected = (logits.softmax(1) - F.one_hot(hard, 4).permute(0, 3, 1, 2)) / 6
    torch.testing.assert_close(grad, expected.detach())
    assert grad.abs().max().item() > 0.01


def _three_pixels():
    """Logits of 2 classes at 3 pixels: (2, 0), (0, 0), (0, 1); pixel 0 has
    ground truth 0, pixels 1 and 2 the pseudo label 1."""
    logits = torch.tensor([[[[2., 0., 0.]], [[0., 0., 1.]]]])  # (1, 2, 1, 3)
    gt = torch.tensor([[[0, 255, 255]]])
    pseudo = torch.tensor([[[255, 1, 1]]])
    # CE per pixel: log(1 + e^-2), log 2, log(1 + e^-1)
    ce = [math.log(1 + math.exp(-2)), math.log(2), math.log(1 + math.exp(-1))]
    return logits, gt, pseudo, ce


def test_weighting_pseudo_is_the_mean_over_pseudo_labels():
    logits, gt, pseudo, ce = _three_pixels()
    loss = PseudoLabelCELoss(weighting='pseudo')
    assert loss.inputs == ('seg_logits', 'pseudo_sem_seg') and not loss.replaces_decode_ce
    assert loss(logits, pseudo).item() == pytest.approx((ce[1] + ce[2]) / 2)


def test_weighting_all_labels_weighs_every_labelled_pixel_equally():
    """Eqs. 4-5 sum over pixels: one true and two pseudo labels weigh 1/3
    each (the 'pseudo' weighting with the segmentor's mean over the ground
    truth gives 1/2 to the true pixel and 1/4 to each pseudo one)."""
    logits, gt, pseudo, ce = _three_pixels()
    loss = PseudoLabelCELoss(weighting='all_labels')
    assert loss.inputs == ('seg_logits', 'pseudo_sem_seg', 'gt_sem_seg')
    assert loss.replaces_decode_ce
    assert loss(logits, pseudo, gt).item() == pytest.approx(sum(ce) / 3)
    # ground truth wins where a pixel has both (pseudo 1 at pixel 0 would
    # cost log(1 + e^2))
    both = torch.tensor([[[1, 1, 1]]])
    assert pseudo_label_ce(logits, both, labels=gt).item() == pytest.approx(sum(ce) / 3)
    # no label at all: 0 with a graph
    none = torch.full_like(gt, 255)
    logits.requires_grad_(True)
    zero = pseudo_label_ce(logits, none, labels=none)
    assert zero.item() == 0 and zero.requires_grad
    with pytest.raises(ValueError, match='weighting must be one of'):
        PseudoLabelCELoss(weighting='sum')
