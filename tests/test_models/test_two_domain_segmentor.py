"""Two-domain loss math: source CE, target CE over labelled pixels only."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.models.losses import BaseDomainLoss
from mmada.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@MODELS.register_module(force=True)
class _MeanLogitLoss(BaseDomainLoss):
    """Test loss: mean of the logits (so its value is easy to predict)."""
    default_inputs = ('seg_logits', 'gt_sem_seg')

    def forward(self, seg_logits, gt_sem_seg):
        assert gt_sem_seg.dim() == 3
        return seg_logits.mean()


def build_model(**overrides):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    # Frozen BN (eval statistics) so one pass over both domains equals two.
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=False)
    cfg.model.backbone.norm_eval = True
    cfg.model.update(overrides)
    with DefaultScope.overwrite_default_scope('mmada'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model


def samples(labels):
    out = []
    for lab in labels:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab[None].long())
        s.set_metainfo(dict(img_shape=lab.shape, ori_shape=lab.shape, pad_shape=lab.shape))
        out.append(s)
    return out


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
        _MeanLogitLoss(domain='both')
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
