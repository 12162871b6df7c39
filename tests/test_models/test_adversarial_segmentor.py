"""AdversarialSegmentor.train_step: two optimisers, requires_grad toggling,
inference delegated to the segmenter, config mistakes refused."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.registry import MODELS
from mmada.utils.errors import UserFacingError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DISCS = dict(main=dict(type='FCDiscriminator'),  # in_channels: the 19 classes
             aux=dict(type='FCDiscriminator', in_channels=19))


def model_cfg(**overrides):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    cfg.model.update(type='AdversarialSegmentor', auxiliary_head=cfg.layer3_aux_head,
                     domain_loss_weights=dict(target=0.0), discriminators=copy.deepcopy(DISCS),
                     alignment=dict(type='EntropyAlignment', levels=dict(main=0.5, aux=0.25)))
    for key, value in overrides.items():
        cfg.model[key] = value  # replaces, not merges
    return cfg.model


def build(**overrides):
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg(**overrides))
    model.init_weights()
    model.train()
    return model


def batch(n, h, w, seed, labels=True):
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        inputs.append(torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8))
        s = SegDataSample()
        if labels:
            s.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, h, w), generator=g))
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def optim(model, lr=0.1):
    sgd = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=lr))
    with DefaultScope.overwrite_default_scope('mmada'):
        return build_optim_wrapper(model, dict(constructor='MultiOptimWrapperConstructor',
                                               segmentor=sgd, discriminators=copy.deepcopy(sgd)))


@pytest.mark.e2e
def test_each_optimiser_gets_only_its_own_gradient():
    """Plain SGD: segmenter moves by -lr * grad(seg losses + adversarial terms),
    discriminators by -lr * grad(their own loss on detached maps) and nothing
    of the adversarial term (which would leak in without requires_grad=False)."""
    model = build()
    ref = copy.deepcopy(model)
    data = dict(source=batch(1, 32, 64, 0), target=batch(1, 32, 48, 1, labels=False))
    log = model.train_step(data, optim(model, lr=0.1))
    assert model.discriminators['main'].in_channels == 19
    assert {'loss', 'loss_adv_main', 'loss_adv_aux', 'disc.loss_d_main',
            'disc.loss_d_aux'} <= set(log)
    # reference gradients, computed by hand on the copy
    d = ref.data_preprocessor(data, True)
    losses, outputs = ref.segmentor(**d, mode='loss_and_outputs')
    src, tgt = (ref.alignment.maps(outputs[k]) for k in ('source', 'target'))
    adv = ref.alignment.segmentor_losses(ref.discriminators(tgt))
    seg_total = sum(v for k, v in losses.items() if 'loss' in k) + sum(adv.values())
    seg_params = [p for p in ref.segmentor.parameters() if p.requires_grad]
    g_seg = torch.autograd.grad(seg_total, seg_params, allow_unused=True)
    disc_loss = sum(ref.alignment.discriminator_losses(
        ref.discriminators({k: v.detach() for k, v in src.items()}),
        ref.discriminators({k: v.detach() for k, v in tgt.items()})).values())
    d_params = list(ref.discriminators.parameters())
    g_d = torch.autograd.grad(disc_loss, d_params)
    new_seg = [p for p in model.segmentor.parameters() if p.requires_grad]
    for old, new, g in zip(seg_params, new_seg, g_seg):
        expected = old if g is None else old - 0.1 * g
        torch.testing.assert_close(new, expected, rtol=1e-5, atol=1e-7)
    for old, new, g in zip(d_params, model.discriminators.parameters(), g_d):
        torch.testing.assert_close(new, old - 0.1 * g, rtol=1e-5, atol=1e-7)
    assert log['disc.loss'].item() == pytest.approx(disc_loss.item(), rel=1e-5)
    assert all(p.requires_grad for p in model.discriminators.parameters())


def test_inference_is_the_segmentors():
    model = build()
    model.eval()
    data = batch(1, 32, 64, 3)
    out = model.test_step(data)
    ref = model.segmentor.test_step(data)
    torch.testing.assert_close(out[0].seg_logits.data, ref[0].seg_logits.data)
    assert len(model.val_step(data)) == 1
    with pytest.raises(UserFacingError, match='MMSeparateDistributedDataParallel'):
        model(torch.zeros(1, 3, 8, 8), None, mode='loss')


@pytest.mark.e2e
def test_plain_segmentor_checkpoint_loads_into_the_segmentor():
    model = build()
    plain = build().segmentor
    with torch.no_grad():
        for p in plain.parameters():
            p.add_(1.0)
    from mmengine.runner.checkpoint import load_state_dict
    load_state_dict(model, plain.state_dict(), strict=False)
    for (k, a), b in zip(plain.state_dict().items(), model.segmentor.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    full = build()
    full.load_state_dict(model.state_dict())  # its own checkpoints: unchanged keys
    torch.testing.assert_close(full.discriminators['main'].layers[0].weight,
                               model.discriminators['main'].layers[0].weight)


def test_config_mistakes_fail_with_one_message():
    with pytest.raises(UserFacingError, match='differ'):
        build(discriminators=dict(main=DISCS['main']))
    with pytest.raises(UserFacingError, match='auxiliary head'):
        build(auxiliary_head=None)
    with pytest.raises(UserFacingError, match='predicts 19 classes'):
        build(discriminators=dict(main=DISCS['main'], aux=dict(type='FCDiscriminator',
                                                               in_channels=16)))
    model = build()
    sgd = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    with DefaultScope.overwrite_default_scope('mmada'):
        with pytest.raises(UserFacingError, match=r"\['discriminators'\] have trainable"):
            build_optim_wrapper(model, dict(constructor='MultiOptimWrapperConstructor',
                                            segmentor=sgd))
        with pytest.raises(UserFacingError, match=r"\['generator'\] name no child"):
            build_optim_wrapper(model, dict(constructor='MultiOptimWrapperConstructor',
                                            segmentor=sgd, discriminators=sgd, generator=sgd))
