"""MADA / MADAv2 paper configs: Table 3's ablation adds one piece per step, and each stage
starts from the last checkpoint (and label store) of the stage before it."""
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import ROOT

WARMUP = 'configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_{}-896x512.py'
STAGE1 = 'configs/{m}/{m}-stage1-img5_deeplabv3plus-r101_1xb2-112k_{d}-896x512.py'
STAGE2 = {'madav2': 'configs/madav2/madav2-stage2{v}-img5_deeplabv3plus-r101_1xb4-149k_{d}-896x512.py',
          'mada': 'configs/mada/mada-stage2-img5_deeplabv3plus-r101_1xb2-90k_{d}-896x512.py'}
SYNTHETIC = 'configs/madav2/madav2-stage2{v}-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def load(path):
    return Config.fromfile(osp.join(ROOT, path))


def pieces(cfg):
    return ([s['type'] for s in cfg.model.batch_steps],
            [(l['type'], l['domain']) for l in cfg.model.extra_losses])


def _last_checkpoint(path):
    cfg = load(path)
    return f"work_dirs/{osp.splitext(osp.basename(path))[0]}/iter_{cfg.train_cfg.max_iters}.pth"


@pytest.mark.parametrize('template,ds', [(STAGE2['madav2'], 'gta2cs'),
                                         (STAGE2['madav2'], 'synthia2cs'), (SYNTHETIC, None)])
def test_table3_ablation_adds_one_piece_per_step(template, ds):
    m2, m3, m4 = (load(template.format(v=v, d=ds)) for v in ('-m2', '-m3', ''))
    teacher, mixers = ['PseudoLabelTeacher'], ['AdaptiveCopyPaste', 'AdaptiveCutMix']
    ohem = [('OHEMCrossEntropyLoss', 'target'), ('OHEMCrossEntropyLoss', 'pseudo')]
    assert pieces(m2) == (teacher, ohem)
    assert pieces(m3) == (teacher + mixers, ohem)
    assert pieces(m4) == (teacher + mixers, ohem + [('SoftAnchorAlignmentLoss', 'target')])
    assert [h['type'] for h in m4.custom_hooks] == ['TargetAnchorInitHook'] and not m3.custom_hooks
    classes = m4.model.decode_head.num_classes
    anchor = m4.model.extra_losses[2]
    assert anchor.num_classes == classes and anchor.loss_weight == 0.1
    assert anchor.feat_channels == m4.model.decode_head.get('channels', 128)
    for step in m4.model.batch_steps[1:]:
        assert step.num_classes == classes
    head = ['road', 'sidewalk', 'building', 'vegetation', 'sky']
    names = m4.val_dataloader.dataset.get('metainfo', {}).get('classes') or \
        ['road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
         'vegetation', 'terrain', 'sky']
    assert [names[i] for i in m4.model.batch_steps[1].head_classes] == head


@pytest.mark.parametrize('ds', ['gta2cs', 'synthia2cs'])
@pytest.mark.parametrize('method', ['mada', 'madav2'])
def test_stages_chain_their_checkpoints(method, ds):
    warmup, stage1 = WARMUP.format(ds), STAGE1.format(m=method, d=ds)
    s1 = load(stage1)
    assert s1.load_from == _last_checkpoint(warmup)
    assert warmup in s1.load_from_made_by
    # 5 % of 2,975: MADA's code int(0.05 N) = 148, MADAv2's round(0.05 N) = 149
    assert s1.active_rounds == [0]
    assert s1.active_learning.budget.value == {'mada': 148, 'madav2': 149}[method]
    assert s1.active_learning.scorer.mask_resolution == 'feature'
    assert s1.active_learning.scorer.mode == method
    stage2 = STAGE2[method].format(v='', d=ds)
    s2 = load(stage2)
    assert s2.load_from == _last_checkpoint(stage1) and stage1 in s2.load_from_made_by
    store = s2.train_dataloader.dataset.target.label_store_dir
    assert store == osp.join(osp.dirname(s2.load_from), 'active_labels')
    # stage 2 refuses to start without stage 1's labels, naming stage 1's command
    target = s2.train_dataloader.dataset.target
    assert target.required_rounds == 1 and target.made_by == s2.load_from_made_by
    # stage 1 trains on the source and the labelled target images only (Eq. 6)
    assert s1.train_dataloader.sampler == dict(
        type='LabelledTargetTwoDomainSampler', shuffle=True, labelled_ratio=1.0)
    classes = 16 if ds == 'synthia2cs' else 19
    for cfg in (load(warmup), s1, s2):
        assert cfg.model.decode_head.num_classes == classes
        assert cfg.model.decode_head.channels == 256  # the authors' decoder
        # the authors' network: output stride 16, BatchNorm trained, domains apart
        assert cfg.model.backbone.strides == (1, 2, 2, 1)
        assert cfg.model.backbone.dilations == (1, 1, 1, 2)
        assert cfg.model.decode_head.dilations == (1, 6, 12, 18)
        assert not cfg.model.backbone.norm_eval and cfg.model.backbone.norm_cfg.type == 'SyncBN'
        assert cfg.model.domain_forward == 'per_domain'
    # MADAv2's poly runs to the code's max_iter 900,000 (ends near 0.89x / 0.85x)
    assert s1.param_scheduler[0].end == (900000 if method == 'madav2' else s1.train_cfg.max_iters)
    if method == 'madav2':
        assert s2.param_scheduler[0].end == 900000 and s2.train_cfg.max_iters == 148750
    if method == 'mada':
        assert pieces(s2) == (['PseudoLabelTeacher'], [('SoftAnchorAlignmentLoss', 'target')])
        assert s2.model.extra_losses[0].loss_weight == 0.7
        assert s2.model.domain_loss_weights.pseudo == 1.0


def test_labelled_targets_per_batch_match_the_batch_size():
    """A sampler's labelled slots are laid out for the dataloader's batch size."""
    import glob
    checked = 0
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', 'mada*', '*.py'))):
        cfg = Config.fromfile(path)
        sampler = cfg.train_dataloader.sampler
        if sampler.get('labelled_per_batch') is not None:
            assert sampler.batch_size == cfg.train_dataloader.batch_size, path
            checked += 1
    assert checked == 8  # MADAv2 stage 2 (M(2)-M(4)) and MADA stage 2, gta2cs and synthia2cs
    v2 = load(STAGE2['madav2'].format(v='', d='gta2cs'))
    assert (v2.train_dataloader.batch_size, v2.train_dataloader.sampler.labelled_per_batch) == (4, 2)
    assert [l.get('min_kept') for l in v2.model.extra_losses[:2]] == [50000, 100000]
    assert v2.model.extra_losses[2].normalisation_pooling
