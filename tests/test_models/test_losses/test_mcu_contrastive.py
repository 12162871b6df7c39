"""MultiLevelContrastiveLoss (ADA-MCU): anchors, levels, DCCM, bounds, state."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from mmada.models.losses import MultiLevelContrastiveLoss
from mmada.registry import MODELS
from tests.helpers.segmentors import samples

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

# One image of 1 x 4 pixels, features at label resolution (bilinear reads are
# then the pixels themselves), the 4 embeddings of the hand example:
#   pixel 0: a = (1, 0)     class 0, predicted 1 (wrong: the anchor)
#   pixel 1: p = (0.6, 0.8) class 0, predicted 0
#   pixel 2: n = (0, 1)     class 1, predicted 1
#   pixel 3: m = (-1, 0)    class 1, predicted 1
EMB = torch.tensor([[1., 0.], [0.6, 0.8], [0., 1.], [-1., 0.]])


def hand_domain():
    feats = EMB.t().reshape(1, 2, 1, 4).clone().requires_grad_()
    pred = torch.tensor([1, 0, 1, 1])
    logits = torch.nn.functional.one_hot(pred, 2).t().float().reshape(1, 2, 1, 4) * 5
    return dict(decoder_feats=feats, seg_logits=logits,
                gt_sem_seg=torch.tensor([[[0, 0, 1, 1]]]),
                uncertainty_group=None, pseudo_sem_seg=None)


def hand_loss(**kwargs):
    loss = MultiLevelContrastiveLoss(in_channels=2, num_classes=2, temperature=0.5,
                                     **kwargs)
    loss.projector = nn.Identity()  # embeddings = the (normalised) features
    return loss.train()


def nce(pos, negs):
    return -math.log(math.exp(pos) / (math.exp(pos) + sum(math.exp(n) for n in negs)))


def test_hand_value_intra_image_and_cross_domain_p2p_c2c():
    loss = hand_loss(levels=('intra_image', 'cross_domain'), use_dccm=False)
    value = loss(source=hand_domain(), target=hand_domain())
    # intra-image p2p: the anchor's own pixel is left out -> positive p (1.2),
    # negatives n (0), m (-2)
    intra = nce(1.2, [0, -2])
    # cross-domain p2p: samples of the other image, the anchor's twin a
    # included: positives a (2) and p (1.2), negatives n, m; mean over both
    cross = (nce(2.0, [0, -2]) + nce(1.2, [0, -2])) / 2
    # c2c: class-wise anchor = a; centres from the correctly predicted samples
    # (no group map): class 0 -> p, class 1 -> (n + m) / |n + m| = (-1, 1)/sqrt2
    # logits 0.6 / 0.5 = 1.2 and -1/sqrt2 / 0.5
    c2c = nce(1.2, [-math.sqrt(2)])
    assert float(loss.log_parts['intra_image.p2p']) == pytest.approx(intra, abs=1e-5)
    assert float(loss.log_parts['cross_domain.p2p']) == pytest.approx(cross, abs=1e-5)
    assert float(loss.log_parts['intra_image.c2c']) == pytest.approx(c2c, abs=1e-5)
    assert float(loss.log_parts['cross_domain.c2c']) == pytest.approx(c2c, abs=1e-5)
    assert value.item() == pytest.approx(intra + cross + 2 * c2c, abs=1e-5)
    # p2p only (Table VI, AL w p2p): the c2c terms leave the sum
    p2p_only = hand_loss(levels=('intra_image', 'cross_domain'), use_dccm=False,
                         use_c2c=False)
    assert p2p_only(source=hand_domain(), target=hand_domain()).item() == \
        pytest.approx(intra + cross, abs=1e-5)
    assert set(p2p_only.log_parts) == {'intra_image.p2p', 'cross_domain.p2p'}


def test_dccm_update_and_weights_in_the_loss():
    # Both images: class 0 -> 2 pixels, 1 predicted as 1; class 1 -> 2 pixels,
    # both right. Over the two domains R = [[0.5, 0.5], [0, 1]] (Eq. 7);
    # beta = 0.9 from W = I: W = [[0.95, 0.05], [0, 1]] (Eq. 8).
    loss = hand_loss(levels=('intra_image', ), use_c2c=False, beta=0.9)
    value = loss(source=hand_domain(), target=hand_domain())
    torch.testing.assert_close(loss.dccm, torch.tensor([[0.95, 0.05], [0., 1.]]))
    assert int(loss.num_steps) == 1
    # Eq. 10, w = W[u, v] (dccm_form='rate'), W updated before the loss:
    # positive 0.95 * 1.2, negatives 0.05 * 0, 0.05 * -2
    assert value.item() == pytest.approx(nce(0.95 * 1.2, [0, 0.05 * -2]), abs=1e-5)
    # 'one_plus_rate': positive 1 * 1.2, negatives 1.05 * 0, 1.05 * -2
    other = hand_loss(levels=('intra_image', ), use_c2c=False, beta=0.9,
                      dccm_form='one_plus_rate')
    assert other(source=hand_domain(), target=hand_domain()).item() == \
        pytest.approx(nce(1.2, [0, 1.05 * -2]), abs=1e-5)
    # outside training the matrix stays
    loss.eval()
    loss(source=hand_domain(), target=hand_domain())
    torch.testing.assert_close(loss.dccm, torch.tensor([[0.95, 0.05], [0., 1.]]))


def test_target_anchors_only_from_labelled_high_uncertainty_and_pseudo_samples():
    # Target: pixel 0 wrong and labelled but in the medium group -> no anchor;
    # pixel 1 labelled, wrong (label 1, predicted 0), high group -> the anchor.
    # Pixels 2, 3 unlabelled, pseudo-labelled 1 and 0 -> samples.
    tgt = hand_domain()
    tgt['gt_sem_seg'] = torch.tensor([[[0, 1, 255, 255]]])
    tgt['uncertainty_group'] = torch.tensor([[[1, 0, 2, 2]]])
    tgt['pseudo_sem_seg'] = torch.tensor([[[255, 255, 1, 0]]])
    src = hand_domain()
    src['gt_sem_seg'] = torch.full((1, 1, 4), 255)  # no source anchor
    loss = hand_loss(levels=('intra_image', ), use_dccm=False)
    loss(source=src, target=tgt)
    # anchor p = (0.6, 0.8) class 1: positive n (0.8 / 0.5), negatives a (0.6 / 0.5)
    # and m (-0.6 / 0.5); pixel 0 (label 0) is a sample too
    assert float(loss.log_parts['intra_image.p2p']) == pytest.approx(
        nce(1.6, [1.2, -1.2]), abs=1e-5)
    # centres only from the low-uncertainty group (pixels 2, 3): class 1 -> n,
    # class 0 -> m
    assert float(loss.log_parts['intra_image.c2c']) == pytest.approx(nce(1.6, [-1.2]),
                                                                   abs=1e-5)


def test_cross_image_refuses_a_batch_of_one_and_changes_nothing():
    loss = hand_loss()
    with pytest.raises(ValueError, match="'cross_image'.*source batch holds 1 image"):
        loss(source=hand_domain(), target=hand_domain())
    assert int(loss.num_steps) == 0 and torch.equal(loss.dccm, torch.eye(2))
    hand_loss(levels=('intra_image', 'cross_domain'))(source=hand_domain(),
                                                      target=hand_domain())


def test_check_batch_size_before_training():
    # the check TrainBatchCheckHook runs before training, per level set
    with pytest.raises(ValueError, match="'cross_image'.*target batch holds 1 image"):
        hand_loss().check_batch_size(dict(source=2, target=1))
    hand_loss().check_batch_size(dict(source=2, target=2))
    hand_loss(levels=('intra_image', 'cross_domain')).check_batch_size(
        dict(source=1, target=1))
    with pytest.raises(ValueError, match="domain='both'.*only \\['source'\\]"):
        hand_loss(levels=('intra_image', )).check_batch_size(dict(source=2))


def test_outputs_of_another_model_are_refused():
    loss = hand_loss(levels=('intra_image', ))
    dom = hand_domain()
    dom['seg_logits'] = torch.zeros(1, 3, 1, 4)
    with pytest.raises(ValueError, match='seg_logits 3 classes.*num_classes=2'):
        loss(source=dom, target=hand_domain())
    assert int(loss.num_steps) == 0


def test_no_anchor_gives_zero_attached_to_the_graph():
    dom = hand_domain()
    dom['seg_logits'] = torch.nn.functional.one_hot(
        torch.tensor([0, 0, 1, 1]), 2).t().float().reshape(1, 2, 1, 4)
    loss = hand_loss(levels=('intra_image', ))
    value = loss(source=dom, target=dict(dom))
    assert value.item() == 0.0
    value.backward()
    # the parts are logged (0) on such steps too: the log keys stay the same
    assert {k: float(v) for k, v in loss.log_parts.items()} == {
        'intra_image.p2p': 0.0, 'intra_image.c2c': 0.0}


def test_config_errors():
    with pytest.raises(ValueError, match='levels'):
        MultiLevelContrastiveLoss(2, 2, levels=('intra', ))
    with pytest.raises(ValueError, match='beta'):
        MultiLevelContrastiveLoss(2, 2, beta=1.0)
    with pytest.raises(ValueError, match='dccm_form'):
        MultiLevelContrastiveLoss(2, 2, dccm_form='raw')
    with pytest.raises(ValueError, match='domain'):
        MultiLevelContrastiveLoss(2, 2, domain='target')


def random_domain(batch, size, num_classes, channels, gen):
    h, w = size
    return dict(decoder_feats=torch.randn(batch, channels, h // 8, w // 8, generator=gen),
                seg_logits=torch.randn(batch, num_classes, h // 8, w // 8, generator=gen),
                gt_sem_seg=torch.randint(0, num_classes, (batch, h, w), generator=gen),
                uncertainty_group=None, pseudo_sem_seg=None)


def test_points_are_bounded_per_image_whatever_the_image_size():
    seen = []
    for size in [(64, 128), (256, 512)]:
        loss = MultiLevelContrastiveLoss(8, 4, anchors_per_image=5, samples_per_image=20)
        loss.projector.register_forward_hook(lambda m, i, o: seen.append(i[0].shape[2]))
        gen = torch.Generator().manual_seed(0)
        loss.train()(source=random_domain(2, size, 4, 8, gen),
                     target=random_domain(2, size, 4, 8, gen))
    assert seen == [4 * (5 + 20)] * 2  # 4 images x (anchors + samples)


def test_draws_reproducible_and_resumed_from_the_state_dict():
    gen = torch.Generator().manual_seed(1)
    batches = [(random_domain(2, (64, 128), 4, 8, gen), random_domain(2, (64, 128), 4, 8, gen))
               for _ in range(3)]
    torch.manual_seed(0)
    run = MultiLevelContrastiveLoss(8, 4, anchors_per_image=8, samples_per_image=32).train()
    values = [run(source=s, target=t).item() for s, t in batches]
    assert len(set(values)) == 3
    # "resume": a fresh module loads the state after step 1 and gives step 2, 3
    torch.manual_seed(0)
    first = MultiLevelContrastiveLoss(8, 4, anchors_per_image=8, samples_per_image=32).train()
    first(source=batches[0][0], target=batches[0][1])
    state = {k: v.clone() for k, v in first.state_dict().items()}
    assert {'dccm', 'num_steps'} <= set(state)
    resumed = MultiLevelContrastiveLoss(8, 4, anchors_per_image=8, samples_per_image=32)
    resumed.load_state_dict(state)
    resumed.train()
    again = [resumed(source=s, target=t).item() for s, t in batches[1:]]
    assert again == pytest.approx(values[1:], abs=1e-6)
    torch.testing.assert_close(resumed.dccm, run.dccm)


# --------------------------------------------------------------------------
# Through a TwoDomainSegmentor on the tiny model
# --------------------------------------------------------------------------
def test_through_two_domain_segmentor_with_online_outputs():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    base = Config.fromfile(osp.join(ROOT, 'configs/_base_/methods/ada_mcu_contrastive.py'))
    cfg.model.extra_losses = [dict(base.mcu_loss, in_channels=128, anchors_per_image=16,
                                   samples_per_image=64)]
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    gen = torch.Generator().manual_seed(0)
    src_lab = torch.randint(0, 19, (2, 32, 64), generator=gen)
    tgt_gt = torch.randint(0, 19, (2, 32, 64), generator=gen)
    group = torch.randint(0, 3, (2, 32, 64), generator=gen)
    tgt_lab = torch.where(group == 0, tgt_gt, torch.full_like(tgt_gt, 255))
    data = dict(source=samples(src_lab), target=samples(tgt_lab))
    inputs = dict(source=torch.randn(2, 3, 32, 64, generator=gen),
                  target=torch.randn(2, 3, 32, 64, generator=gen))
    outputs = model.forward_domains(inputs, data)
    assert outputs['source']['decoder_feats'].shape[1] == 128  # requested by the loss
    # what an online acquisition fills (the source keeps None)
    outputs['target']['uncertainty_group'] = group
    outputs['target']['pseudo_sem_seg'] = torch.where(
        group == 2, tgt_gt, torch.full_like(tgt_gt, 255))
    losses = model.losses_from_outputs(outputs, data)
    module = model.extra_losses[0]
    assert 'loss_mcu' in losses and losses['loss_mcu'].item() > 0
    # every level's p2p and c2c is logged, unweighted, under mcu.<level>.<kind>;
    # loss_mcu (weighted) is their weighted sum
    names = {f'{lv}.{k}' for lv in ('intra_image', 'cross_image', 'cross_domain')
             for k in ('p2p', 'c2c')}
    parts = {k[len('mcu.'):]: v for k, v in losses.items() if k.startswith('mcu.')}
    assert set(parts) == names
    assert all(v.item() > 0 for v in parts.values())
    assert losses['loss_mcu'].item() == pytest.approx(
        module.loss_weight * sum(v.item() for v in parts.values()), rel=1e-5)
    # in the log next to the loss, not added to the total a second time
    total, log_vars = model.parse_losses(losses)
    assert {f'mcu.{n}' for n in names} <= set(log_vars)
    assert total.item() == pytest.approx(
        sum(v.item() for k, v in losses.items() if 'loss' in k), rel=1e-6)
    assert not torch.equal(module.dccm, torch.eye(19)) and int(module.num_steps) == 1
    losses['loss_mcu'].backward()
    assert module.projector[0].weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.backbone.layer4.parameters())  # reaches the backbone
    assert model.decode_head.aspp[0].weight.grad is None  # not the classifier
    # the optimiser sees the projection head; the checkpoint holds DCCM
    optim = build_optim_wrapper(model, dict(type='OptimWrapper',
                                            optimizer=dict(type='SGD', lr=1e-3)))
    params = {id(p) for g in optim.optimizer.param_groups for p in g['params']}
    assert all(id(p) in params for p in module.projector.parameters())
    assert {'extra_losses.0.dccm', 'extra_losses.0.num_steps'} <= set(model.state_dict())



def test_dccm_counts_are_summed_over_ranks_before_the_rates(monkeypatch):
    # Two ranks: this one sees class 0 right twice, the other (simulated by
    # the all-reduce) class 0 wrong twice. R from both: class 0 -> [0.5, 0.5];
    # beta = 0.5 from I: W[0] = [0.75, 0.25]; class 1 unseen keeps [0, 1].
    import mmada.models.losses.mcu_contrastive as mod
    other = torch.tensor([[0., 2.], [0., 0.]], dtype=torch.float64)
    monkeypatch.setattr(mod, 'get_world_size', lambda: 2)
    monkeypatch.setattr(mod, 'all_reduce', lambda t: t.add_(other))
    loss = MultiLevelContrastiveLoss(2, 2, beta=0.5)
    loss.update_dccm(torch.tensor([[2., 0.], [0., 0.]], dtype=torch.float64))
    torch.testing.assert_close(loss.dccm, torch.tensor([[0.75, 0.25], [0., 1.]]))


# --------------------------------------------------------------------------
# The Table V / VI configs
# --------------------------------------------------------------------------
TABLE_VI = 'configs/ada_mcu/ada-mcu{}_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py'


@pytest.mark.parametrize('variant,levels,c2c,dccm', [
    ('-mcui', ('intra_image', 'cross_image'), False, False),  # AL (w MCU_i)
    ('-p2p', ('intra_image', 'cross_image', 'cross_domain'), False, False),  # AL (w p2p)
    ('-mcud', ('intra_image', 'cross_image', 'cross_domain'), True, False),  # MCU_d = p2p+c2c
    ('', ('intra_image', 'cross_image', 'cross_domain'), True, True),  # Full Model
])
def test_table_vi_configs_switch_levels_c2c_and_dccm(variant, levels, c2c, dccm):
    cfg = Config.fromfile(osp.join(ROOT, TABLE_VI.format(variant)))
    pseudo, mcu = cfg.model.extra_losses
    assert pseudo.type == 'PseudoLabelCELoss' and mcu.type == 'MultiLevelContrastiveLoss'
    assert (tuple(mcu.levels), mcu.use_c2c, mcu.use_dccm) == (levels, c2c, dccm)
    assert cfg.model.online_acquisition.budget.value == 0.2  # Table VI: 20 %


def test_weighted_loss_logs_the_parts_outside_the_total():
    from mmada.models.losses.base import weighted_loss
    loss = hand_loss(levels=('intra_image', ), loss_weight=0.5)
    loss.log_parts = dict(a=torch.tensor(1.), b=torch.tensor(3.))
    out = weighted_loss(loss, torch.tensor(4.))
    assert {k: v.item() for k, v in out.items()} == {'loss_mcu': 2.0, 'mcu.a': 1.0, 'mcu.b': 3.0}
    loss.log_parts = dict(loss_x=torch.tensor(1.))  # would be summed by MMEngine: refused
    with pytest.raises(RuntimeError, match="contains 'loss'"):
        weighted_loss(loss, torch.tensor(4.))
