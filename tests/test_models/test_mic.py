"""MIC: patch masks, masked images and the masked domain through the two-domain segmentor."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmada.models.losses import pixel_weighted_ce
from mmada.models.mixers import MaskedImageConsistency, block_mask, mask_images
from mmada.models.teachers import merge_pseudo_labels, quality_weight
from mmada.registry import MODELS
from tests.conftest import ROOT
from tests.helpers.segmentors import build_model, samples

IGN = 255


def test_block_mask_is_a_patch_grid_of_uniform_draws_above_the_ratio():
    g = torch.Generator().manual_seed(3)
    keep = block_mask(2, (4, 8), block_size=2, ratio=0.5, generator=g)
    grid = torch.rand((2, 1, 2, 4), generator=torch.Generator().manual_seed(3)) > 0.5
    assert keep.shape == (2, 4, 8) and keep.dtype == torch.bool
    for i in range(2):
        for r in range(2):
            for c in range(4):
                patch = keep[i, 2 * r:2 * r + 2, 2 * c:2 * c + 2]
                assert patch.eq(bool(grid[i, 0, r, c])).all()  # one draw per 2x2 patch
    assert not torch.equal(keep[0], keep[1]) or torch.equal(grid[0], grid[1])  # per image
    # 100 rows with 64-pixel patches: round(100 / 64) = 2 grid rows, nearest upsampling
    # gives rows 0-49 the first grid row and rows 50-99 the second.
    keep = block_mask(1, (100, 64), 64, 0.5, torch.Generator().manual_seed(0))
    grid = torch.rand((1, 1, 2, 1), generator=torch.Generator().manual_seed(0)) > 0.5
    assert keep[0, :50].eq(bool(grid[0, 0, 0, 0])).all()
    assert keep[0, 50:].eq(bool(grid[0, 0, 1, 0])).all()
    assert block_mask(1, (8, 8), 4, 0.0, g).all()  # ratio 0: U(0,1) > 0 keeps every patch


def test_block_mask_withholds_the_ratio_of_patches():
    keep = block_mask(16, (640, 640), 16, 0.7, torch.Generator().manual_seed(1))
    assert abs(1 - keep.float().mean().item() - 0.7) < 0.01  # 25,600 patches


def test_mask_images_zeroes_withheld_pixels_in_every_channel():
    img = torch.arange(1., 13.).view(1, 3, 2, 2)
    keep = torch.tensor([[[True, False], [False, True]]])
    out = mask_images(img, keep)
    assert out[0, :, 0, 0].tolist() == [1., 5., 9.] and out[0, :, 1, 1].tolist() == [4., 8., 12.]
    assert out[0, :, 0, 1].eq(0).all() and out[0, :, 1, 0].eq(0).all()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='mask_ratio'):
        MaskedImageConsistency(mask_ratio=1.0)
    with pytest.raises(ValueError, match='out_domain'):
        MaskedImageConsistency(domain='target', out_domain='target')
    with pytest.raises(ValueError, match='masked'):  # the added domain needs a loss weight
        build_model(batch_steps=[dict(type='PseudoLabelTeacher', mode='ema',
                                      out_domain='target'),
                                 dict(type='MaskedImageConsistency')])


STEPS = [dict(type='PseudoLabelTeacher', mode='ema', out_domain='target', quality_threshold=0.3),
         dict(type='MaskedImageConsistency', block_size=8, mask_ratio=0.7, augment=False, seed=5),
         dict(type='DACSMix', seed=1)]
LOSSES = [dict(type='PixelWeightedCELoss', domain='target'),
          dict(type='PixelWeightedCELoss', domain='masked', loss_name='loss_masked')]


def _model():
    return build_model(batch_steps=STEPS, extra_losses=LOSSES,
                       domain_loss_weights=dict(target=0.0, masked=0.0))


def _batch():
    torch.manual_seed(0)
    lab_t = torch.full((2, 32, 64), IGN)
    lab_t[0, :8] = torch.randint(0, 19, (8, 64))  # acquired rows of image 0
    inputs = dict(source=torch.randn(2, 3, 32, 64), target=torch.randn(2, 3, 32, 64))
    data = dict(source=samples(torch.randint(0, 19, (2, 32, 64))), target=samples(lab_t))
    return inputs, data, lab_t


def test_masked_domain_trains_on_the_teacher_labels_of_the_unmasked_image():
    model = _model()
    inputs, data, lab_t = _batch()
    losses, outputs = model.loss_and_outputs(inputs, data)
    assert set(outputs) == {'source', 'target', 'masked'}
    masked = outputs['masked']
    img, kept = masked['img'], masked['img'].ne(0).any(1)
    # kept pixels are the unmixed target image (DACS mixes 'target' after MIC) ...
    assert torch.equal(img[:, :, kept[0]][0], inputs['target'][0][:, kept[0]])
    assert not torch.equal(outputs['target']['img'], inputs['target'])  # ... which DACS mixed
    share = 1 - kept.float().mean().item()
    assert 0.3 < share < 1  # 2 x 4 x 8 patches of 8 x 8, about 70 % withheld
    for i in range(2):  # every 8 x 8 patch is kept or withheld as a whole
        patches = kept[i].view(4, 8, 8, 8).transpose(1, 2).reshape(32, 64)
        assert patches.all(1).logical_or(~patches.any(1)).all()
    # labels: the teacher's argmax of the complete image, the true label where acquired
    teacher = model.batch_steps[0]
    logits = teacher.logits(inputs['target'], (32, 64))
    expect = merge_pseudo_labels(lab_t, logits)
    assert torch.equal(masked['gt_sem_seg'], expect)
    assert torch.equal(masked['gt_sem_seg'][0, :8], lab_t[0, :8])
    weight = quality_weight(logits, lab_t != IGN, 0.3)
    torch.testing.assert_close(masked['seg_weight'], weight)
    assert masked['seg_weight'][0, :8].eq(1).all()  # acquired pixels weigh 1
    value = pixel_weighted_ce(masked['seg_logits'], expect, weight)
    torch.testing.assert_close(losses['masked.loss_masked'], value)
    assert 'masked.decode.loss_ce' not in losses and 'target.loss_pseudo' in losses
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert next(model.decode_head.parameters()).grad is not None


def test_mask_draws_follow_the_checkpointed_call_counter():
    first = _model()
    inputs, data, _ = _batch()
    first.loss_and_outputs(inputs, data)
    state = {k: v.clone() for k, v in first.state_dict().items()}
    assert int(state['batch_steps.1.num_calls']) == 1
    resumed = _model()
    resumed.load_state_dict(state)
    step = first.batch_steps[1]
    a = step(first, dict(inputs), data)[0]['masked']
    b = resumed.batch_steps[1](resumed, dict(inputs), data)[0]['masked']
    assert torch.equal(a, b)  # the second call masks alike after a reload
    c = step(first, dict(inputs), data)[0]['masked']
    assert not torch.equal(a, c)  # and the next call draws a new mask


def test_augmented_masked_image_is_jittered_before_masking():
    model = build_model()
    step = MaskedImageConsistency(block_size=8, augment=True, jitter_prob=1.0, blur=False)
    inputs, data, _ = _batch()
    out = step(model, inputs, data)[0]
    kept = out['masked'].ne(0).any(1)
    assert kept.any() and (~kept).any()
    assert not torch.allclose(out['masked'][:, :, kept[0]][0], inputs['target'][0][:, kept[0]])
    assert torch.equal(out['target'], inputs['target'])  # the step leaves its input alone


def test_synthetic_mic_config_trains_the_masked_domain_on_the_tiny_mit():
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs/mic/mic_daformer-mit-tiny_1xb2-900_synthetic-128x256.py'))
    with DefaultScope.overwrite_default_scope('mmada'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    torch.manual_seed(0)
    inputs = dict(source=torch.randn(2, 3, 64, 128), target=torch.randn(2, 3, 64, 128))
    data = dict(source=samples(torch.randint(0, 19, (2, 64, 128))),
                target=samples(torch.full((2, 64, 128), IGN)))
    step = model.batch_steps[1]
    model.batch_steps[0].quality_threshold = 0.0  # every pixel confident: q = 1
    losses, outputs = model.loss_and_outputs(inputs, data)
    assert isinstance(step, MaskedImageConsistency) and step.block_size == 8
    kept = outputs['masked']['img'].ne(0).any(1)
    assert 0.5 < 1 - kept.float().mean().item() < 0.9  # 2 x 8 x 16 patches, ratio 0.7
    assert losses['masked.loss_masked'].item() > 0
    assert outputs['masked']['seg_weight'].eq(1).all()
