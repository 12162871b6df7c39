"""Soft-anchor loss (MADAv2 Eq. 14) and the EMA anchor update (Eq. 8) on hand values."""
import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from mmada.active.anchors import class_feature_vector
from mmada.models.losses import (SoftAnchorAlignmentLoss, class_mean_vectors, normalisation_pooling,
                                 ema_update_nearest, soft_anchor_loss)
from mmada.registry import MODELS
from mmada.utils.errors import UserFacingError


def test_soft_anchor_loss_hand_value():
    # F = (0, 0); anchors (1, 1) and (2, 0): mean squared differences 1 and 2
    # -> V / (1/1 + 1/2) = 2 / 1.5 = 4/3
    anchors = torch.tensor([[1., 1.], [2., 0.]])
    loss = soft_anchor_loss(torch.zeros(1, 2), anchors)
    assert loss.tolist() == pytest.approx([4 / 3])
    # a vector on an anchor: loss ~ 0 (the distance is floored, not inf)
    assert soft_anchor_loss(anchors[:1], anchors).item() == pytest.approx(0, abs=1e-9)


def test_soft_anchor_loss_gradient_pulls_towards_nearer_anchor():
    anchors = torch.tensor([[1., 0.], [-3., 0.]])
    f = torch.zeros(1, 2, requires_grad=True)
    soft_anchor_loss(f, anchors).sum().backward()
    assert f.grad[0, 0] < 0  # descending moves F to +x, the nearer anchor


def test_ema_update_hand_value():
    anchors = torch.tensor([[0., 0.], [10., 10.]])
    vectors = torch.tensor([[1., 1.], [9., 9.], [2., 2.]])
    new, nearest = ema_update_nearest(anchors, vectors, momentum=0.5)
    # (1,1) -> anchor 0: (0.5, 0.5); (9,9) -> anchor 1: (9.5, 9.5); (2,2) -> anchor 0: (1.25, 1.25)
    assert nearest.tolist() == [0, 1, 0]
    assert new.tolist() == [[1.25, 1.25], [9.5, 9.5]]
    assert anchors.tolist() == [[0., 0.], [10., 10.]]  # input untouched
    new, _ = ema_update_nearest(anchors, vectors[:1], momentum=0.999)
    assert new[0].tolist() == pytest.approx([0.001, 0.001])


def test_class_mean_vectors_equals_the_scorer_vector():
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 4, 5)
    labels = torch.randint(0, 4, (2, 4, 5))
    labels[1, 0] = 255
    batched = class_mean_vectors(feats, labels, num_classes=3, min_pixels=2)
    for b in range(2):
        single = class_feature_vector(feats[b], labels[b], 3, min_pixels=2)
        assert torch.allclose(batched[b], single, atol=1e-6)


def _module(**kw):
    cfg = dict(type='SoftAnchorAlignmentLoss', num_classes=2, feat_channels=1, num_anchors=2,
               min_pixels=1)
    return MODELS.build(dict(cfg, **kw))


def test_module_hand_value_update_and_state():
    MessageHub.get_current_instance().update_info('iter', 0)
    module = _module(momentum=0.5)
    module.set_anchors(torch.tensor([[0., 0.], [4., 4.]]))
    # one image of 2 pixels: features 1 and 3, predicted classes 0 and 1 -> F = (1, 3)
    feats = torch.tensor([[[[1., 3.]]]], requires_grad=True)
    logits = torch.tensor([[[[5., 0.]], [[0., 5.]]]])
    loss = module(decoder_feats=feats, seg_logits=logits)
    # distances: ((1 + 9) / 2, (9 + 1) / 2) = (5, 5) -> 2 / (1/5 + 1/5) = 5
    assert loss.item() == pytest.approx(5.0)
    # tie -> anchor 0 moves halfway: (0.5, 1.5)
    assert module.anchors.tolist() == [[0.5, 1.5], [4., 4.]]
    loss.backward()
    assert feats.grad.abs().sum() > 0
    state = module.state_dict()
    assert set(state) == {'anchors', 'initialised'} and bool(state['initialised'])
    other = _module()
    other.load_state_dict(state)
    assert torch.equal(other.anchors, module.anchors) and bool(other.initialised)
    module.eval()
    module(decoder_feats=feats, seg_logits=logits)
    assert module.anchors.tolist() == [[0.5, 1.5], [4., 4.]]  # no update in eval


def test_module_waits_for_start_iter():
    module = _module(start_iter=5)
    module.set_anchors(torch.tensor([[0., 0.], [4., 4.]]))
    feats = torch.ones(1, 1, 1, 2, requires_grad=True)
    logits = torch.zeros(1, 2, 1, 2)
    MessageHub.get_current_instance().update_info('iter', 4)
    assert module(decoder_feats=feats, seg_logits=logits).item() == 0
    assert module.anchors.tolist() == [[0., 0.], [4., 4.]]
    MessageHub.get_current_instance().update_info('iter', 5)
    assert module(decoder_feats=feats, seg_logits=logits).item() > 0
    MessageHub.get_current_instance().update_info('iter', 0)


def test_bad_anchors_fail_with_a_message(tmp_path):
    MessageHub.get_current_instance().update_info('iter', 0)
    module = _module()
    with pytest.raises(UserFacingError, match='never set'):
        module(decoder_feats=torch.ones(1, 1, 1, 2), seg_logits=torch.zeros(1, 2, 1, 2))
    with pytest.raises(UserFacingError, match='another model'):
        module.set_anchors(torch.zeros(2, 3))
    with pytest.raises(UserFacingError, match='does not exist'):
        _module(init_file=str(tmp_path / 'missing.npz'))
    path = tmp_path / 'anchors.npz'
    np.savez(path, target=np.zeros((2, 512), np.float32))
    with pytest.raises(UserFacingError, match='another model'):
        _module(init_file=str(path))
    np.savez(path, target=np.ones((2, 2), np.float32))
    assert _module(init_file=str(path)).anchors.sum() == 4
    module.set_anchors(torch.zeros(2, 2))
    with pytest.raises(UserFacingError, match='feat_channels'):
        module(decoder_feats=torch.ones(1, 3, 1, 2), seg_logits=torch.zeros(1, 2, 1, 2))


def test_normalisation_pooling_gives_every_pixel_the_same_share_of_the_gradient():
    # The authors' normalisation_pooling (models/utils.py): identity forward, the
    # gradient x 2 * (class pixels / all pixels) backward. One image, 1 x 4 pixels,
    # D = 1: class 0 on 3 pixels, class 1 on 1 pixel; L = mean_0 + mean_1.
    feats = torch.tensor([[[[1., 2., 3., 10.]]]], requires_grad=True)
    labels = torch.tensor([[[0, 0, 0, 1]]])
    pooled = normalisation_pooling(feats, labels, num_classes=2)
    assert torch.equal(pooled, feats)  # bit-identical forward
    class_mean_vectors(pooled, labels, 2, min_pixels=1).sum().backward()
    # plain means: 1/3 per class-0 pixel, 1 for the class-1 pixel; scaled by
    # 2 * 3/4 and 2 * 1/4: every pixel 2 / (h w) = 0.5
    assert feats.grad.flatten().tolist() == pytest.approx([0.5, 0.5, 0.5, 0.5])
    plain = feats.detach().clone().requires_grad_(True)
    class_mean_vectors(plain, labels, 2, min_pixels=1).sum().backward()
    assert plain.grad.flatten().tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.])
    # an ignored pixel (id outside [0, C)) gets no gradient from the means either way
    feats.grad = None
    labels = torch.tensor([[[0, 0, 255, 1]]])
    class_mean_vectors(normalisation_pooling(feats, labels, 2), labels, 2, 1).sum().backward()
    assert feats.grad.flatten().tolist() == pytest.approx([0.5, 0.5, 0., 0.5])


def test_the_loss_uses_normalisation_pooling_by_default():
    MessageHub.get_current_instance().update_info('iter', 0)
    feats = torch.tensor([[[[1., 2., 3., 10.]]]])
    logits = torch.tensor([[[[5., 5., 5., 0.]], [[0., 0., 0., 5.]]]])
    grads = {}
    for pooled in (True, False):
        module = _module(normalisation_pooling=pooled)
        module.set_anchors(torch.tensor([[0., 0.], [4., 4.]]))
        module.eval()
        f = feats.clone().requires_grad_(True)
        module(decoder_feats=f, seg_logits=logits).backward()
        grads[pooled] = f.grad.flatten()
    # the same loss; class-0 pixels' gradient x 2 * 3/4, the class-1 pixel's x 2 * 1/4
    assert torch.allclose(grads[True], grads[False] * torch.tensor([1.5, 1.5, 1.5, 0.5]))
    assert _module().normalisation_pooling
