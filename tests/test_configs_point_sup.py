"""Active point supervision configs at the paper's settings (Sec. 4.1): stage 1
(AdvEnt / IntraDA), the label acquisition variants of Tables 1-3 on G1's model,
and stage 2, for gta2cs, synthia2cs and the synthetic benchmark."""
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REAL = 'deeplabv2_r101_1xb1-120k_{}-1024x512.py'
SYNTH = 'deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
BENCHES = ['gta2cs', 'synthia2cs']
K_VALUES = dict(k0=0, k1=1, k2=2, k3=3, k5=5, k128=128, full=128, random=10, dense=10)


def load(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, 'configs', 'point_sup', name))


def resize_scale(pipeline) -> tuple:
    return next(tuple(t['scale']) for t in pipeline if t['type'].endswith('Resize'))


@pytest.mark.parametrize('bench', BENCHES)
def test_stage1_is_advent_at_the_paper_settings(bench):
    cfg = load('point_sup-g1-advent_' + REAL.format(bench))
    m = cfg.model
    assert m.type == 'AdversarialSegmentor' and m.alignment.type == 'EntropyAlignment'
    assert m.backbone.depth == 101 and tuple(m.backbone.out_indices) == (2, 3)  # conv4, conv5
    assert m.backbone.init_cfg.checkpoint == 'torchvision://resnet101'  # ImageNet
    assert m.auxiliary_head.in_channels == 1024 and set(m.discriminators) == {'main', 'aux'}
    assert m.domain_loss_weights.target == 0.0 and cfg.get('load_from') is None
    classes = 16 if bench == 'synthia2cs' else 19
    assert m.decode_head.num_classes == m.auxiliary_head.num_classes == classes
    data = cfg.train_dataloader.dataset
    assert resize_scale(data.source.pipeline) == (1280, 760)
    assert resize_scale(data.target.pipeline) == (1024, 512)
    seg = cfg.optim_wrapper.segmentor.optimizer
    assert (seg.type, seg.lr, seg.momentum, seg.weight_decay) == ('SGD', 2.5e-4, 0.9, 1e-4)
    disc = cfg.optim_wrapper.discriminators.optimizer
    assert (disc.type, disc.lr) == ('Adam', 1e-4)
    assert cfg.train_cfg.max_iters == 120000


@pytest.mark.parametrize('bench', BENCHES)
def test_intrada_option_differs_from_configs_uda_in_weight_decay_and_split_dir(bench):
    ours = load('point_sup-g1-intrada_' + REAL.format(bench))
    uda = Config.fromfile(osp.join(ROOT, 'configs', 'uda', 'intrada_' + REAL.format(bench)))
    assert ours.optim_wrapper.segmentor.optimizer.weight_decay == 1e-4
    src = ours.train_dataloader.dataset.source
    assert src.ann_file == f'work_dirs/point_sup-intrada_{bench}/split/easy_split.txt'
    assert ours.model == uda.model


@pytest.mark.parametrize('bench', BENCHES + ['synthetic'])
@pytest.mark.parametrize('variant', [''] + [f'-{v}' for v in K_VALUES])
def test_selection_variants_run_on_g1s_model(bench, variant):
    name = REAL.format(bench) if bench != 'synthetic' else SYNTH
    cfg = load(f'point_sup{variant}_{name}')
    g1 = load('point_sup-g1-advent_' + name)
    # a G1 checkpoint loads into it (tools/select.py); trained alone, the target has labels
    assert cfg.model == dict(g1.model, domain_loss_weights=dict(target=1.0))
    assert cfg.active_rounds == [0] and cfg.custom_hooks == [dict(type='ActiveLearningHook')]
    assert cfg.train_cfg.type == 'ActiveIterBasedTrainLoop'
    al = cfg.active_learning
    k = K_VALUES.get(variant[1:], 10)
    assert al.budget == dict(type='pixels_per_image', value=k * 5)
    assert al.unit.grid == (8, 16) and al.unit.points_per_patch == 5
    assert al.unit.pseudo == ('dense' if variant == '-dense' else 'points')
    assert al.scorer.type == ('RandomScorer' if variant == '-random' else 'EntropyScorer')
    assert al.unit.reduce == ('mean' if variant == '-random' else 'sum')
    target = cfg.train_dataloader.dataset.target
    assert target.type == 'ActiveTargetDataset' and target.with_pseudo
    if bench != 'synthetic':
        assert resize_scale(target.acquisition_pipeline) == (1024, 512)


@pytest.mark.parametrize('bench', BENCHES + ['synthetic'])
def test_stage2_is_a_fresh_g1_on_points_and_pseudo_labels(bench):
    name = REAL.format(bench) if bench != 'synthetic' else SYNTH
    g2, g1 = load('point_sup-g2_' + name), load('point_sup-g1-advent_' + name)
    assert g2.model == dict(g1.model, domain_loss_weights=dict(target=1.0))
    assert g2.optim_wrapper == g1.optim_wrapper and g2.get('load_from') == g1.get('load_from')
    assert g2.train_cfg == g1.train_cfg and not g2.get('custom_hooks')  # labels read, never changed
    target = g2.train_dataloader.dataset.target
    assert target.type == 'ActiveTargetDataset' and target.with_pseudo
    assert target.required_rounds == 1
    assert target.label_store_dir == f'work_dirs/point_sup_{bench}/select/active_labels'
    assert target.dataset.type == g1.train_dataloader.dataset.target.type
    assert g2.train_dataloader.dataset.source == g1.train_dataloader.dataset.source
    if bench != 'synthetic':  # points survive the resize of the 2048x1024 store maps
        assert resize_scale(target.dataset.pipeline) == (1024, 512)
        assert [t['type'] for t in target.dataset.pipeline][2] == 'SparseLabelResize'
    if bench == 'synthia2cs':
        assert len(target.dataset.metainfo.classes) == 16
        assert set(g2.val_evaluator.class_subsets) == {'mIoU16', 'mIoU13'}
