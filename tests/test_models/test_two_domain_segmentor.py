"""Two-domain loss math: source CE, target CE over labelled pixels only."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmada.models.losses import BaseDomainLoss
from mmada.registry import MODELS
from tests.helpers.segmentors import build_model, samples

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@MODELS.register_module(force=True)
class _MeanLogitLoss(BaseDomainLoss):
    """Test loss: mean of the logits (so its value is easy to predict)."""
    default_inputs = ('seg_logits', 'gt_sem_seg')

    def forward(self, seg_logits, gt_sem_seg):
        assert gt_sem_seg.dim() == 3
        return seg_logits.mean()


def ce_sum(model, img, labels):
    feats = model.extract_feat(img)
    logits = model.decode_head(feats)
    logits = F.interpolate(logits, labels.shape[-2:], mode='bilinear', align_corners=False)
    return F.cross_entropy(logits, labels.long(), ignore_index=255, reduction='sum')


def test_target_ce_is_mean_over_labelled_pixels():
    torch.manual_seed(0)
    model = build_model()
    src, tgt = torch.randn(2, 3, 32, 64), torch.randn(2, 3, 32, 64)
    src_lab = torch.randint(0, 19, (2, 32, 64))
    tgt_lab = torch.full((2, 32, 64), 255)
    tgt_lab[0, 3, 5], tgt_lab[0, 10, 20], tgt_lab[1, 30, 60] = 4, 7, 18  # 3 labels
    losses = model.loss(dict(source=src, target=tgt),
                        dict(source=samples(src_lab), target=samples(tgt_lab)))
    with torch.no_grad():
        expected_tgt = ce_sum(model, tgt, tgt_lab) / 3
        expected_src = ce_sum(model, src, src_lab) / src_lab.numel()
    torch.testing.assert_close(losses['target.decode.loss_ce'], expected_tgt,
                               rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(losses['source.decode.loss_ce'], expected_src,
                               rtol=1e-4, atol=1e-5)
    # Unlabelled target pixels must not dilute the loss: the mean over all
    # pixels would be 3 / 4096 of it.
    assert losses['target.decode.loss_ce'] > 100 * ce_sum(model, tgt, tgt_lab).detach() / tgt_lab.numel()


def test_target_ce_is_zero_without_labels_and_keeps_the_graph():
    model = build_model()
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    losses = model.loss(
        dict(source=src, target=tgt),
        dict(source=samples(torch.randint(0, 19, (1, 32, 64))),
             target=samples(torch.full((1, 32, 64), 255))))
    loss = losses['target.decode.loss_ce']
    assert torch.isfinite(loss) and loss.item() == 0.0
    total = sum(v for k, v in losses.items() if 'loss' in k.rsplit('.', 1)[-1])
    total.backward()  # no error: every output is still connected


def test_extra_losses_by_domain_with_weight():
    model = build_model(extra_losses=[
        dict(type='_MeanLogitLoss', domain='target', loss_weight=0.5, loss_name='loss_mean')])
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    lab = torch.randint(0, 19, (1, 32, 64))
    losses = model.loss(dict(source=src, target=tgt),
                        dict(source=samples(lab), target=samples(lab)))
    assert 'target.loss_mean' in losses and 'source.loss_mean' not in losses
    with torch.no_grad():
        expected = 0.5 * model.decode_head(model.extract_feat(tgt)).mean()
    torch.testing.assert_close(losses['target.loss_mean'], expected, rtol=1e-4, atol=1e-6)


def test_domain_weight_zero_drops_supervision_and_plain_batch_is_default_domain():
    model = build_model(domain_loss_weights=dict(source=0.0))
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    lab = torch.randint(0, 19, (1, 32, 64))
    losses = model.loss(dict(source=src, target=tgt),
                        dict(source=samples(lab), target=samples(lab)))
    assert not any(k.startswith('source.') for k in losses)
    plain = build_model().loss(src, samples(lab))
    assert set(plain) == {'source.decode.loss_ce', 'source.decode.acc_seg'}


def test_refuses_ce_averaging_over_ignored_pixels():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    cfg.model.decode_head.loss_decode.avg_non_ignore = False
    with DefaultScope.overwrite_default_scope('mmada'):
        with pytest.raises(ValueError, match='avg_non_ignore'):
            MODELS.build(cfg.model)


def test_extra_loss_config_errors():
    with pytest.raises(ValueError, match='domain'):
        _MeanLogitLoss(domain='both')  # a per-domain loss
    with pytest.raises(ValueError, match='unknown inputs'):
        _MeanLogitLoss(inputs=['logits'])


def test_aspp_v2_sums_dilated_classifiers():
    from mmada.models.heads import ASPPV2Head
    head = ASPPV2Head(in_channels=4, num_classes=3, dilations=(1, 2))
    head.init_weights()
    x = torch.randn(1, 4, 8, 8)
    expected = sum(F.conv2d(x, c.weight, c.bias, padding=d, dilation=d)
                   for c, d in zip(head.aspp, (1, 2)))
    torch.testing.assert_close(head([x]), expected)
    assert not hasattr(head, 'conv_seg')


@MODELS.register_module(force=True)
class _FeatureGapLoss(BaseDomainLoss):
    """Test loss with domain='both': squared gap of the mean decoder features
    over labelled source pixels' batch and the mean over acquired target pixels
    (their count), so every new output is checked by value."""
    default_inputs = ('decoder_feats', 'labelled_mask')
    domains = ('both', )

    def forward(self, source, target):
        gap = source['decoder_feats'].mean() - target['decoder_feats'].mean()
        return gap ** 2 + target['labelled_mask'].sum()


def reference_losses(model, inputs, data_samples):
    """The pre-split TwoDomainSegmentor.loss: one backbone pass over both
    domains, then per domain the heads and mmseg's loss_by_feat."""
    from mmseg.utils import add_prefix
    sizes = [inputs[d].shape[0] for d in inputs]
    feats = model.extract_feat(torch.cat(list(inputs.values())))
    split = [f.split(sizes) for f in feats]
    losses = {}
    for i, d in enumerate(inputs):
        f = [s[i] for s in split]
        out = add_prefix(model.decode_head.loss_by_feat(model.decode_head(f), data_samples[d]),
                         'decode')
        if model.with_auxiliary_head:
            out.update(add_prefix(model.auxiliary_head.loss_by_feat(
                model.auxiliary_head(f), data_samples[d]), 'aux'))
        losses.update(add_prefix(out, d))
    return losses


TINY_V3PLUS = dict(
    backbone=dict(depth=18, base_channels=16, stem_channels=16, init_cfg=None),
    decode_head=dict(in_channels=128, channels=16, c1_in_channels=16, c1_channels=8,
                     dilations=(1, 2)))


@pytest.mark.parametrize('model_base,frozen_bn', [
    ('deeplabv2_r18_tiny', True), ('deeplabv2_r18_tiny', False),
    ('deeplabv3plus_r101', True), ('deeplabv3plus_r101_ripu', True)])
def test_split_loss_equals_the_previous_loss(model_base, frozen_bn):
    """forward_domains + losses_from_outputs (joint head pass when the heads
    allow it, labels stacked once) give the values of the previous per-domain
    loss_by_feat path, for the model bases of every existing config."""
    cfg = Config.fromfile(osp.join(ROOT, f'configs/_base_/models/{model_base}.py'))
    if model_base.startswith('deeplabv2'):
        cfg.model.auxiliary_head = cfg.layer3_aux_head
    else:  # a narrow ResNet-18 (no ImageNet weights offline); dropout and BN in the head
        cfg.merge_from_dict(dict(model=TINY_V3PLUS))
    if frozen_bn:
        cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=False)
        cfg.model.backbone.norm_eval = True
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    inputs = dict(source=torch.randn(2, 3, 32, 64), target=torch.randn(2, 3, 32, 64))
    tgt_lab = torch.full((2, 32, 64), 255)
    tgt_lab[:, 4:9, 10:30] = 3
    data_samples = dict(source=samples(torch.randint(0, 19, (2, 32, 64))),
                        target=samples(tgt_lab))
    torch.manual_seed(1)  # same dropout masks in both paths
    losses = model.loss(inputs, data_samples)
    torch.manual_seed(1)
    expected = reference_losses(model, inputs, data_samples)
    assert set(losses) == set(expected)
    for key in expected:
        torch.testing.assert_close(losses[key], expected[key], rtol=1e-6, atol=1e-7)


def test_cross_domain_loss_gets_both_domains_through_a_config():
    model = build_model(extra_losses=[
        dict(type='_FeatureGapLoss', domain='both', loss_weight=2.0, loss_name='loss_gap')])
    assert 'decoder_feats' in model.requested_outputs
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    tgt_lab = torch.full((1, 32, 64), 255)
    tgt_lab[0, :2, :3] = 5  # 6 acquired pixels
    losses, outputs = model(dict(source=src, target=tgt),
                            dict(source=samples(torch.randint(0, 19, (1, 32, 64))),
                                 target=samples(tgt_lab)), mode='loss_and_outputs')
    # DeepLab-v2: the decoder features are the classifier's input, layer4.
    with torch.no_grad():
        f_src = model.extract_feat(src)[1]
        f_tgt = model.extract_feat(tgt)[1]
    torch.testing.assert_close(outputs['source']['decoder_feats'], f_src)
    assert outputs['target']['labelled_mask'].sum().item() == 6
    expected = 2.0 * ((f_src.mean() - f_tgt.mean()) ** 2 + 6)
    torch.testing.assert_close(losses['loss_gap'], expected, rtol=1e-5, atol=1e-6)
    assert 'source.loss_gap' not in losses and 'target.loss_gap' not in losses
    with pytest.raises(RuntimeError, match="domain='both'"):
        model.loss(src, samples(torch.randint(0, 19, (1, 32, 64))))


def test_unlabelled_target_needs_zero_target_weight():
    model = build_model()
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    unlabelled = samples(torch.zeros(1, 32, 64))
    del unlabelled[0].gt_sem_seg
    data = dict(source=samples(torch.randint(0, 19, (1, 32, 64))), target=unlabelled)
    with pytest.raises(RuntimeError, match='no gt_sem_seg'):
        model.loss(dict(source=src, target=tgt), data)
    model = build_model(domain_loss_weights=dict(target=0.0))
    losses = model.loss(dict(source=src, target=tgt), data)
    assert not any(k.startswith('target.') for k in losses)



@MODELS.register_module(force=True)
class _UncertaintyLoss(BaseDomainLoss):
    """Test loss asking for an output that only online acquisition fills."""
    default_inputs = ('uncertainty', )

    def forward(self, uncertainty):
        return uncertainty.mean()


def test_online_outputs_are_none_without_online_acquisition():
    model = build_model()
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    data = dict(source=samples(torch.randint(0, 19, (1, 32, 64))),
                target=samples(torch.full((1, 32, 64), 255)))
    _, outputs = model(dict(source=src, target=tgt), data, mode='loss_and_outputs')
    for domain in ('source', 'target'):
        for name in ('uncertainty', 'uncertainty_group', 'pseudo_sem_seg'):
            assert name in outputs[domain] and outputs[domain][name] is None
    model = build_model(extra_losses=[dict(type='_UncertaintyLoss', domain='target',
                                           loss_name='loss_u')])
    with pytest.raises(RuntimeError, match='need an online acquisition'):
        model.loss(dict(source=src, target=tgt), data)


def _train_mode_bn_model(domain_forward):
    """The tiny DeepLab-v2 with AdvEnt's BatchNorm: training mode (batch
    statistics, running statistics updated), affine weights frozen."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=False)
    cfg.model.backbone.norm_eval = False
    cfg.model.domain_forward = domain_forward
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model


def _bn_buffers(model):
    return {k: v.clone() for k, v in model.state_dict().items()
            if k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))}


def _two_domain_batch():
    torch.manual_seed(3)
    src = torch.randn(2, 3, 32, 64)
    tgt = 3 * torch.randn(2, 3, 32, 64) + 1  # other statistics than the source
    data = dict(source=samples(torch.randint(0, 19, (2, 32, 64))),
                target=samples(torch.full((2, 32, 64), 255)))
    return dict(source=src, target=tgt), data


def test_per_domain_forward_normalises_each_domain_by_its_own_statistics():
    """domain_forward='per_domain' with BatchNorm in training mode: after one
    step the running statistics are those of a source pass then a target pass
    (AdvEnt's train_UDA.py), and each domain's loss is that of its own pass; a
    joint pass ('joint') updates them once with the mixed batch's statistics."""
    import copy
    inputs, data = _two_domain_batch()
    model = _train_mode_bn_model('per_domain')
    bn = model.backbone.bn1
    assert bn.training and not bn.weight.requires_grad and not bn.bias.requires_grad
    separate, joint = copy.deepcopy(model), copy.deepcopy(model)
    losses = model.loss(inputs, data)
    with torch.no_grad():
        src_logits = separate.decode_head(separate.extract_feat(inputs['source']))
        separate.extract_feat(inputs['target'])
        joint.extract_feat(torch.cat([inputs['source'], inputs['target']]))
    after, expected, mixed = _bn_buffers(model), _bn_buffers(separate), _bn_buffers(joint)
    for key in expected:
        torch.testing.assert_close(after[key], expected[key])
    assert after['backbone.bn1.num_batches_tracked'].item() == 2
    assert not torch.allclose(after['backbone.bn1.running_mean'],
                              mixed['backbone.bn1.running_mean'], atol=1e-3)
    src_lab = torch.stack([s.gt_sem_seg.data[0] for s in data['source']])
    expected_ce = F.cross_entropy(
        F.interpolate(src_logits, (32, 64), mode='bilinear', align_corners=False), src_lab)
    torch.testing.assert_close(losses['source.decode.loss_ce'], expected_ce,
                               rtol=1e-5, atol=1e-6)

    model = _train_mode_bn_model('joint')
    model.loss(inputs, data)
    after = _bn_buffers(model)
    for key in mixed:
        torch.testing.assert_close(after[key], mixed[key])
    assert after['backbone.bn1.num_batches_tracked'].item() == 1


def test_per_domain_forward_keeps_one_pass_without_batch_statistics(monkeypatch):
    """With frozen BatchNorm a joint pass equals separate ones: 'per_domain'
    keeps it (one backbone call), and an unknown value is refused."""
    model = build_model(domain_forward='per_domain')
    inputs, data = _two_domain_batch()
    calls = []
    extract = model.extract_feat
    monkeypatch.setattr(model, 'extract_feat', lambda x: calls.append(len(x)) or extract(x))
    model.loss(inputs, data)
    assert calls == [4]
    with pytest.raises(ValueError, match="domain_forward must be one of"):
        build_model(domain_forward='separate')


@pytest.mark.parametrize('weighting', ['pseudo', 'all_labels'])
def test_pseudo_label_weighting_in_the_segmentor(weighting):
    """PseudoLabelCELoss(weighting='all_labels') is the target's decode CE:
    one mean over the true and pseudo labels, and the segmentor's own target
    decode CE is left out (its accuracy and the source's CE stay);
    'pseudo' adds the mean over the pseudo labels to the segmentor's mean
    over the true ones."""
    model = build_model(extra_losses=[dict(type='PseudoLabelCELoss', domain='target',
                                           weighting=weighting, loss_name='loss_pl')])
    torch.manual_seed(0)
    src, tgt = torch.randn(1, 3, 32, 64), torch.randn(1, 3, 32, 64)
    gt = torch.full((1, 32, 64), 255)
    gt[0, :2, :5] = 3  # 10 true labels
    pseudo = torch.full((1, 32, 64), 255)
    pseudo[0, 10:20, :] = 7  # 640 pseudo labels
    data = dict(source=samples(torch.randint(0, 19, (1, 32, 64))), target=samples(gt))
    inputs = dict(source=src, target=tgt)
    outputs = model.forward_domains(inputs, data)
    outputs['target']['pseudo_sem_seg'] = pseudo
    losses = model.losses_from_outputs(outputs, data)
    with torch.no_grad():
        s_true, s_pseudo = ce_sum(model, tgt, gt), ce_sum(model, tgt, pseudo)
    assert 'source.decode.loss_ce' in losses and 'target.decode.acc_seg' in losses
    if weighting == 'all_labels':
        assert 'target.decode.loss_ce' not in losses
        torch.testing.assert_close(losses['target.loss_pl'], (s_true + s_pseudo) / 650,
                                   rtol=1e-4, atol=1e-5)
    else:
        torch.testing.assert_close(losses['target.decode.loss_ce'], s_true / 10,
                                   rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(losses['target.loss_pl'], s_pseudo / 640,
                                   rtol=1e-4, atol=1e-5)
