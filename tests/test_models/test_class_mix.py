"""DACS / ClassMix batch step and the pixel-weighted pseudo-label cross-entropy."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmada.models.losses import pixel_weighted_ce
from mmada.models.mixers import (DACSMix, blur_kernel_size, class_mix_mask, color_jitter,
                                 gaussian_blur, mix)
from tests.helpers.segmentors import build_model, samples

IGN = 255


def test_class_mix_mask_takes_half_of_the_image_classes():
    label = torch.tensor([[0, 0, 1, 1], [2, 2, 3, IGN]])
    g = torch.Generator().manual_seed(0)
    mask = class_mix_mask(label, g)
    chosen = set(label[mask].tolist())
    assert len(chosen) == 2 and chosen <= {0, 1, 2, 3}  # ceil(4 / 2), never the ignore id
    assert mask.eq(torch.isin(label, torch.tensor(sorted(chosen)))).all()
    three = torch.tensor([[0, 1, 2]])
    assert int(class_mix_mask(three, g).sum()) == 2  # ceil(3 / 2)
    assert not class_mix_mask(torch.full((2, 2), IGN), g).any()


def test_mix_broadcasts_the_mask_over_channels():
    mask = torch.tensor([[[True, False]]])
    a, b = torch.ones(1, 3, 1, 2), torch.zeros(1, 3, 1, 2)
    assert mix(mask, a, b)[0, :, 0].tolist() == [[1, 0]] * 3
    assert mix(mask, torch.tensor([[[5, 5]]]), torch.tensor([[[7, 7]]])).tolist() == [[[5, 7]]]


def test_jitter_and_blur_by_hand():
    img = torch.rand(3, 8, 8)
    same = color_jitter(img, 1., 1., 1., 0., [0, 1, 2, 3])
    torch.testing.assert_close(same, img, atol=1e-5, rtol=0)  # identity factors
    torch.testing.assert_close(color_jitter(img, 0.5, 1., 1., 0., [0]), img * 0.5)
    grey = color_jitter(img, 1., 1., 0., 0., [2])  # saturation 0: grey
    assert torch.allclose(grey[0], grey[1], atol=1e-6) and torch.allclose(grey[1], grey[2],
                                                                           atol=1e-6)
    hue = color_jitter(img, 1., 1., 1., 0.5, [3])  # half a turn keeps the luma
    luma = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
    inside = (hue > 0) & (hue < 1)
    if inside.all():
        torch.testing.assert_close((hue * luma).sum(0), (img * luma).sum(0), atol=1e-5, rtol=0)
    # the authors' kernel sides: 512 -> 51, 128 -> 13, 64 -> 7
    assert [blur_kernel_size(n) for n in (512, 128, 64)] == [51, 13, 7]
    flat = torch.full((3, 16, 16), 0.3)
    torch.testing.assert_close(gaussian_blur(flat, 1.0), flat)  # constants stay
    impulse = torch.zeros(1, 21, 21)
    impulse[0, 10, 10] = 1
    out = gaussian_blur(impulse, 0.8)  # kernel 3: weights exp(-x^2 / 1.28) normalised
    w = torch.exp(-torch.tensor([1., 0., 1.]) / (2 * 0.64))
    w = w / w.sum()
    torch.testing.assert_close(out[0, 9:12, 9:12], w[:, None] * w[None])


def test_pixel_weighted_ce_by_hand():
    logits = torch.zeros(1, 2, 1, 3)  # CE = log 2 everywhere
    labels = torch.tensor([[[0, 1, IGN]]])
    weight = torch.tensor([[[1., 0.5, 1.]]])
    loss = pixel_weighted_ce(logits, labels, weight)
    torch.testing.assert_close(loss, torch.tensor(1.5 * math.log(2) / 2))
    zero = pixel_weighted_ce(logits, torch.full((1, 1, 3), IGN), weight)
    assert zero.item() == 0


def _batch():
    torch.manual_seed(0)
    src_lbl = torch.zeros(2, 16, 32, dtype=torch.long)
    src_lbl[:, :, 16:] = 5
    src_lbl[:, :8] = 7
    tgt = torch.full((2, 16, 32), IGN)
    tgt[1, 0, 0] = 3  # one acquired target pixel
    inputs = dict(source=torch.randn(2, 3, 16, 32), target=torch.randn(2, 3, 16, 32))
    data = dict(source=samples(src_lbl), target=samples(tgt))
    return inputs, data, src_lbl


STEPS = [dict(type='PseudoLabelTeacher', mode='frozen', out_domain='target',
              quality_threshold=0.968),
         dict(type='DACSMix', jitter_prob=0., blur=False)]


def test_dacs_step_mixes_images_labels_and_weights():
    model = build_model(batch_steps=STEPS, domain_loss_weights=dict(target=0.0),
                        extra_losses=[dict(type='PixelWeightedCELoss', domain='target')])
    inputs, data, src_lbl = _batch()
    losses, out = model.loss_and_outputs(inputs, data)
    assert set(out) == {'source', 'target'}  # mixed in place: two student passes
    lbl, w = out['target']['gt_sem_seg'], out['target']['seg_weight']
    img = out['target']['img']
    for i in range(2):
        pasted = img[i].eq(inputs['source'][i]).all(0)
        kept = img[i].eq(inputs['target'][i]).all(0)
        assert (pasted | kept).all() and pasted.any() and kept.any()
        torch.testing.assert_close(lbl[i][pasted], src_lbl[i][pasted])
        assert w[i][pasted].eq(1).all()
        classes = set(src_lbl[i][pasted].tolist())
        assert len(classes) == 2  # ceil(3 / 2) of {0, 5, 7}
        # elsewhere: the teacher's quality weight (one value) and its argmax
        assert w[i][kept].unique().numel() <= 2
    assert 'target.loss_pseudo' in losses and 'target.decode.loss_ce' not in losses
    # the mixed loss is the hand formula on the outputs
    expect = pixel_weighted_ce(out['target']['seg_logits'], lbl, w)
    torch.testing.assert_close(losses['target.loss_pseudo'], expect)
    assert int(model.batch_steps[1].num_calls) == 1


def test_dacs_step_jitters_and_blurs_only_the_mixed_images():
    model = build_model(batch_steps=[STEPS[0], dict(type='DACSMix', jitter_prob=1.0)],
                        domain_loss_weights=dict(target=0.0))
    inputs, data, _ = _batch()
    _, out = model.loss_and_outputs(inputs, data)
    img = out['target']['img']
    assert not img.eq(inputs['target']).all() and not img.eq(inputs['source']).all()
    torch.testing.assert_close(out['source']['img'], inputs['source'])


def test_dacs_refuses_unlabelled_or_mismatched_batches():
    model = build_model(batch_steps=[dict(type='DACSMix')])
    inputs, data, _ = _batch()
    data['target'] = [type(s)(metainfo=s.metainfo) for s in data['target']]
    with pytest.raises(RuntimeError, match='PseudoLabelTeacher'):
        model.loss_and_outputs(inputs, data)
    inputs, data, _ = _batch()
    inputs['target'] = F.interpolate(inputs['target'], (8, 16))
    with pytest.raises(RuntimeError, match='shape'):
        model.loss_and_outputs(inputs, data)
