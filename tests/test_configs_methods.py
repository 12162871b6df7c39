"""Method configs of the real benchmarks (RIPU, CBDA, baselines) say what the
papers say, and the user's CBDA config trains through an acquisition round.

``tests/test_configs.py`` already loads every config; here are the semantic
checks: budgets, scorers, allocators, rounds, losses and schedule values, the
ablation grids (configs that differ in exactly one or two pieces), the
source-free data flow, Cityscapes' missing-data check, and one training run
of ``configs/cbda/deeplabv3plus_r101_gta2cs_10pct.py`` on tiny fixtures in
the official GTA5 / Cityscapes layouts, on 1 and on 2 processes.
"""
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmada.datasets.cityscapes import CheckedCityscapesDataset
from mmada.datasets.utils import DatasetNotFoundError
from tests.conftest import ROOT, walk_dicts
from tests.helpers.datasets import converted, make_cityscapes, make_gta5
from tests.helpers.real_configs import (
    plain, BN, loader_cfg, override_config, resize_options, round_one, SHORT, SRC_SIZE, target_ce,
    TGT_SIZE, TINY_MODEL, TINY_V2_MODEL, train)

RIPU_LOSSES = [
    dict(type='LocalConsistencyLoss', domain='source', loss_weight=0.1, resolution='input'),
    dict(type='NegativeLearningLoss', domain='target', tau=0.05, loss_weight=1.0),
]
ORIGINAL_ROUNDS = [10000, 12000, 14000, 16000, 18000]
SPREAD_ROUNDS = [10000, 18000, 24000, 28000, 30000]
RIPU_REGION = dict(type='RIPUScorer', k=1, mode='region')
CB_RIPU = dict(type='ClassBalancedScorer', scorer=RIPU_REGION)
GLOBAL, PER_IMAGE = dict(type='GlobalTopNAllocator'), dict(type='PerImageAllocator')

V2, V3P = 'deeplabv2_r101', 'deeplabv3plus_r101'
TAIL = '1xb2-40k_{}-1280x640_{}.py'


def load(rel):
    return Config.fromfile(osp.join(ROOT, 'configs', rel))


def without(d, *dotted):
    """Copy of nested dict ``d`` without the given dotted keys."""
    d = json.loads(json.dumps(d))
    for key in dotted:
        *parents, last = key.split('.')
        node = d
        for p in parents:
            node = node[p]
        node.pop(last)
    return d


def ripu(name, model=V2, bench='gta2cs', budget='ra2.2pct'):
    return f'ripu/{name}_{model}_' + TAIL.format(bench, budget)


def check_ripu_setup(cfg, bench='gta2cs', model=V2):
    """RIPU Sec. 4.1 settings shared by every RIPU-lineage active config."""
    assert cfg.active_rounds == ORIGINAL_ROUNDS
    assert cfg.train_cfg.type == 'ActiveIterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == 40000
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.end, poly.power, poly.by_epoch) == ('PolyLR', 62500, 0.9, False)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum) == ('SGD', 2.5e-4, 0.9)
    # The paper's weight decay (RIPU Sec. 4.1, kept by CBDA Sec. 1.1); the
    # authors' code ran 5e-4, the option schedule_40k_active_wd5e-4.py.
    assert opt.weight_decay == 1e-4, 'paper configs follow RIPU Sec. 4.1 (1e-4)'
    assert [h.type for h in cfg.custom_hooks] == ['ActiveLearningHook']
    head = dict(deeplabv2_r101='ASPPV2Head', deeplabv3plus_r101='DepthwiseSeparableASPPHead')
    assert cfg.model.decode_head.type == head[model] and cfg.model.backbone.depth == 101
    if model == V3P:  # the RIPU authors' v3+ (deeplabv3plus_r101_ripu.py)
        assert tuple(cfg.model.decode_head.dilations) == (1, 6, 12, 18)
        assert cfg.model.decode_head.norm_cfg.type == 'FrozenBN'
        assert cfg.model.backbone.type == 'ResNet'  # torchvision-style stem
    loader = cfg.train_dataloader
    assert loader.batch_size == 2
    source = dict(gta2cs='GTA5Dataset', synthia2cs='SynthiaDataset')[bench]
    assert loader.dataset.source.type == source
    target = loader.dataset.target
    assert target.type == 'ActiveTargetDataset'
    assert target.dataset.type == 'CheckedCityscapesDataset'
    resize = [t for t in target.dataset.pipeline if t['type'] in ('Resize', 'SparseLabelResize')]
    assert [tuple(t['scale']) for t in resize] == [(1280, 640)]  # RIPU's target size
    # Pixel budgets query single pixels at 2048x1024: their labels are resized
    # sparsely (every queried pixel kept), region budgets' by nearest neighbour.
    sparse = cfg.active_learning.unit.type == 'PixelUnit'
    assert resize[0]['type'] == ('SparseLabelResize' if sparse else 'Resize')
    # The authors train without flips and test with flip averaging.
    for pipeline in (loader.dataset.source.pipeline, target.dataset.pipeline):
        assert 'RandomFlip' not in [t['type'] for t in pipeline]
    assert cfg.test_flip_by_default is True


# ---------------------------------------------------------------- RIPU
@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
def test_ripu_region_and_pixel(bench):
    ra = load(ripu('ripu', bench=bench))
    check_ripu_setup(ra, bench)
    al = ra.active_learning
    assert al.scorer == RIPU_REGION
    assert al.unit == dict(type='SquareRegionUnit', k=1)
    assert al.budget == dict(type='ratio', value=0.022) and al.allocator == PER_IMAGE
    assert ra.model.extra_losses == RIPU_LOSSES

    pa = load(ripu('ripu', bench=bench, budget='pa40px'))
    check_ripu_setup(pa, bench)
    al = pa.active_learning
    assert al.scorer == dict(type='RIPUScorer', k=32, mode='pixel')
    assert al.unit == dict(type='PixelUnit', suppress_k=32)
    assert (al.budget.type, al.budget.value) == ('pixels_per_image', 40)
    # 40 px at 640x1280, picked at 1024x2048: 20.48 per round, rounded up as
    # the authors' code does (21 per round, 105 in total).
    assert al.budget.reference_size == (640, 1280) and al.budget.rounding == 'ceil'
    assert pa.model.extra_losses == RIPU_LOSSES
    if bench == 'synthia2cs':
        assert ra.val_evaluator.type == 'SubsetIoUMetric'


@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
def test_ripu_deeplabv3plus_5pct(bench):
    cfg = load(ripu('ripu', model=V3P, bench=bench, budget='ra5pct'))
    check_ripu_setup(cfg, bench, model=V3P)
    assert cfg.active_learning.budget == dict(type='ratio', value=0.05)
    assert cfg.active_learning.scorer == RIPU_REGION
    assert cfg.model.extra_losses == RIPU_LOSSES


@pytest.mark.parametrize('name,flag', [('ripu-impurityonly', 'use_uncertainty'),
                                       ('ripu-uncertaintyonly', 'use_impurity')])
def test_ripu_selection_ablations(name, flag):
    full, cfg = plain(load(ripu('ripu'))), plain(load(ripu(name)))
    assert cfg['active_learning']['scorer'] == dict(RIPU_REGION, **{flag: False})
    assert cfg['model']['extra_losses'] == []  # Table 3 (a), (b): no RIPU losses
    assert without(cfg, 'active_learning.scorer', 'model.extra_losses') == \
        without(full, 'active_learning.scorer', 'model.extra_losses')


SF_ROUNDS = [0, 2000, 4000, 6000, 8000]  # the authors' source-free rounds


@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
def test_ripu_source_free_has_no_source(bench):
    cfg = load(ripu('ripu-sourcefree', bench=bench))
    loader = cfg.train_dataloader
    assert loader.dataset.type == 'ActiveTargetDataset'
    assert loader.dataset.dataset.type == 'CheckedCityscapesDataset'
    assert loader.sampler.type == 'InfiniteSampler' and loader.batch_size == 2
    types = {d.get('type') for d in walk_dicts(plain(cfg)['train_dataloader'])}
    assert not types & {'GTA5Dataset', 'SynthiaDataset', 'SynscapesDataset',
                        'TwoDomainDataset', 'InfiniteTwoDomainSampler'}
    assert not any('source' in d for d in walk_dicts(plain(cfg)['train_dataloader']))
    assert cfg.model.default_domain == 'target'
    assert cfg.model.extra_losses == [RIPU_LOSSES[1]]  # L_nl^t only
    # The authors' source model (20k iterations, configs/baselines/*_1xb2-20k_*).
    assert cfg.load_from == (f'work_dirs/sourceonly_deeplabv2_r101_1xb2-20k_{bench}-1280x640/'
                             'iter_20000.pth')
    source = load(f'baselines/sourceonly_deeplabv2_r101_1xb2-20k_{bench}-1280x640.py')
    assert (source.train_cfg.max_iters, source.param_scheduler[0].end,
            source.optim_wrapper.optimizer.lr) == (20000, 31250, 5e-4)
    # A round before the first training step, then every 2k (the authors');
    # k = 1 and 40k iterations as the main paper (appendix 6.4).
    assert cfg.active_rounds == SF_ROUNDS
    assert cfg.active_learning.scorer == RIPU_REGION
    assert cfg.active_learning.budget.value == 0.022
    assert cfg.param_scheduler[0].end == 62500 and cfg.train_cfg.max_iters == 40000
    assert cfg.model.decode_head.num_classes == (16 if bench == 'synthia2cs' else 19)


@pytest.mark.parametrize('bench,size', [('gta2cs', '1280x640'), ('synthia2cs', '1024x512')])
def test_ripu_source_free_authors_option(bench, size):
    paper = plain(load(ripu('ripu-sourcefree', bench=bench)))
    cfg = plain(load(f'ripu/ripu-sourcefree-authors_{V2}_1xb2-30k_{bench}-{size}_ra2.2pct.py'))
    al = cfg['active_learning']
    assert al['scorer'] == dict(RIPU_REGION, k=9) and al['unit'] == dict(type='SquareRegionUnit', k=9)
    assert cfg['train_cfg']['max_iters'] == 30000
    keys = ['active_learning.scorer', 'active_learning.unit', 'train_cfg.max_iters']
    if bench == 'synthia2cs':  # the authors' SYNTHIA SF: Cityscapes at 1024x512 throughout
        target = cfg['train_dataloader']['dataset']
        scales = [t['scale'] for p in (target['dataset']['pipeline'], target['acquisition_pipeline'],
                                       cfg['test_dataloader']['dataset']['pipeline'],
                                       cfg['val_dataloader']['dataset']['pipeline'])
                  for t in p if t['type'] == 'Resize']
        assert scales == [[1024, 512]] * 4
        keys += ['train_dataloader.dataset.dataset.pipeline',
                 'train_dataloader.dataset.acquisition_pipeline',
                 'val_dataloader.dataset.pipeline', 'test_dataloader.dataset.pipeline',
                 'tta_pipeline', 'sf_scale', 'sf_train_pipeline', 'sf_acquisition_pipeline',
                 'sf_test_pipeline']
    assert without(cfg, *keys) == without(paper, *keys[:3] + keys[3:8])


@pytest.mark.parametrize('name,losses', [('ripu-nolosses', []),  # Table 3 (c)
                                         ('ripu-lcronly', RIPU_LOSSES[:1]),  # (d)
                                         ('ripu-nlonly', RIPU_LOSSES[1:])])  # (e)
def test_ripu_loss_ablations(name, losses):
    full, cfg = plain(load(ripu('ripu'))), plain(load(ripu(name)))
    assert cfg['model']['extra_losses'] == losses
    assert without(cfg, 'model.extra_losses') == without(full, 'model.extra_losses')


def test_ripu_region_shape_and_size_ablations():
    full = plain(load(ripu('ripu')))
    # Table 5 "Fixed rectangle": grid cells of the k=1 square's area.
    rect = plain(load(ripu('ripu-rectangle')))
    assert rect['active_learning']['unit'] == dict(type='GridPatchUnit', patch_size=3,
                                                   reduce='mean')
    assert without(rect, 'active_learning.unit') == without(full, 'active_learning.unit')
    # Fig. 6 (RA): k = 2, 3, 4 for the scores and the squares (k = 1 is the main config).
    for k in (2, 3, 4):
        cfg = plain(load(ripu(f'ripu-k{k}')))
        al = cfg['active_learning']
        assert al['scorer'] == dict(RIPU_REGION, k=k)
        assert al['unit'] == dict(type='SquareRegionUnit', k=k)
        keys = ('active_learning.scorer', 'active_learning.unit')
        assert without(cfg, *keys) == without(full, *keys)


# ------------------------------------------------------------ baselines
@pytest.mark.parametrize('scorer', ['random', 'entropy', 'sconf'])
@pytest.mark.parametrize('budget', ['ra2.2pct', 'pa40px'])
def test_selection_baselines(scorer, budget):
    cfg = load(f'baselines/{scorer}_{V2}_' + TAIL.format('gta2cs', budget))
    check_ripu_setup(cfg)
    types = dict(random='RandomScorer', entropy='EntropyScorer',
                 sconf='SoftmaxConfidenceScorer')
    assert cfg.active_learning.scorer == dict(type=types[scorer])
    # RA ranks squares by their centre score for RandomScorer (equivalent) and
    # by the mean pixel score for the uncertainty baselines.
    square = dict(type='SquareRegionUnit', k=1)
    if scorer != 'random':
        square['reduce'] = 'mean'
    # PA: ENT / SCONF take the top pixels without suppression (RIPU Table 4:
    # they "suffer from the aggregation of selected pixels"); RAND keeps
    # RIPU's 65x65 suppression (spread-out random clicks either way).
    pixel = dict(type='PixelUnit', suppress_k=32 if scorer == 'random' else 0)
    unit = square if budget == 'ra2.2pct' else pixel
    if budget == 'pa40px':  # the authors' rounded-up PA budget
        assert cfg.active_learning.budget.rounding == 'ceil'
    assert cfg.active_learning.unit == unit
    assert not cfg.model.get('extra_losses')  # RIPU appendix 6.2: CE only


# ----------------------------------------------------------------- CBDA
CBDA = 'cbda/deeplabv3plus_r101_{}_{}pct{}.py'


@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
@pytest.mark.parametrize('pct,value', [(5, 0.05), (10, 0.10), (20, 0.20)])
def test_cbda_budgets(bench, pct, value):
    cfg = load(CBDA.format(bench, pct, ''))
    check_ripu_setup(cfg, bench, model=V3P)
    al = cfg.active_learning
    assert al.budget == dict(type='ratio', value=value)
    assert al.scorer == CB_RIPU and al.allocator == GLOBAL
    assert al.unit == dict(type='SquareRegionUnit', k=1)
    assert cfg.model.extra_losses == RIPU_LOSSES


GRID = dict(cbda=(CB_RIPU, GLOBAL), ra=(RIPU_REGION, PER_IMAGE),
            da=(RIPU_REGION, GLOBAL), cbra=(CB_RIPU, PER_IMAGE))
SYNTHETIC_CBDA = 'cbda/cbda-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256{}.py'


@pytest.mark.parametrize('pattern', [CBDA.format('gta2cs', 10, '{}'), CBDA.format('gta2cs', 5, '{}'),
                                     CBDA.format('gta2cs', 10, '{}_spread'),
                                     CBDA.format('gta2cs', 5, '{}_spread'), SYNTHETIC_CBDA])
def test_cbda_ablation_grid_differs_in_scorer_and_allocator_only(pattern):
    cfgs = {v: plain(load(pattern.format('' if v == 'cbda' else f'_{v}').replace('__', '_')))
            for v in GRID}
    for variant, (scorer, allocator) in GRID.items():
        al = cfgs[variant]['active_learning']
        assert (al['scorer'], al['allocator']) == (scorer, allocator), variant
    rest = {v: without(c, 'active_learning.scorer', 'active_learning.allocator')
            for v, c in cfgs.items()}
    assert all(r == rest['cbda'] for r in rest.values())


# The spread rounds at every CBDA budget, and App. F's grid at 5% and 10%.
SPREAD_CASES = [(pct, '') for pct in (5, 10, 20)] + [
    (pct, v) for pct in (5, 10) for v in ('_ra', '_da', '_cbra')]


@pytest.mark.parametrize('pct,variant', SPREAD_CASES)
def test_cbda_spread_schedule(pct, variant):
    base = load('_base_/schedules/schedule_40k_active_spread.py')
    assert base.active_rounds == SPREAD_ROUNDS and base.train_cfg.max_iters == 40000
    original = CBDA.format('gta2cs', pct, variant)
    spread = plain(load(original.replace('.py', '_spread.py')))
    assert spread['active_rounds'] == SPREAD_ROUNDS
    assert without(spread, 'active_rounds') == without(plain(load(original)), 'active_rounds')


@pytest.mark.parametrize('pct', [5, 10, 20])
def test_ra_reruns_at_every_budget(pct):
    # Table 1's RA rows re-run by CBDA: the CBDA config of that budget with
    # RIPU's scorer and an equal share per image.
    ra, cbda = plain(load(CBDA.format('gta2cs', pct, '_ra'))), plain(load(CBDA.format('gta2cs', pct, '')))
    assert (ra['active_learning']['scorer'], ra['active_learning']['allocator']) == (RIPU_REGION, PER_IMAGE)
    keys = ('active_learning.scorer', 'active_learning.allocator')
    assert without(ra, *keys) == without(cbda, *keys)
    assert ra['active_rounds'] == ORIGINAL_ROUNDS


# ------------------------------------------------------------ Cityscapes
def test_target_is_checked_cityscapes_in_every_real_dataset_config():
    for name in sorted(os.listdir(osp.join(ROOT, 'configs/_base_/datasets'))):
        if '2cs_' not in name or not name.endswith('.py'):
            continue
        cfg = plain(load(f'_base_/datasets/{name}'))
        types = [d['type'] for key in ('train_dataloader', 'val_dataloader')
                 for d in walk_dicts(cfg[key]) if 'Cityscapes' in str(d.get('type'))]
        assert types and set(types) == {'CheckedCityscapesDataset'}, name


def test_cityscapes_missing_data_messages(tmp_path):
    prefix = dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train')
    where = str(tmp_path / 'nowhere')
    with pytest.raises(DatasetNotFoundError) as info:
        CheckedCityscapesDataset(data_root=where, data_prefix=prefix)
    assert where in str(info.value) and 'docs/datasets.md#cityscapes' in str(info.value)
    root = make_cityscapes(tmp_path / 'cs')  # official layout, not converted
    with pytest.raises(DatasetNotFoundError, match=r'2 of 2 train-id label maps'
                       r' "\*_gtFine_labelTrainIds.png" are missing') as info:
        CheckedCityscapesDataset(data_root=str(root), data_prefix=prefix)
    assert 'python tools/dataset_converters/cityscapes.py' in str(info.value)
    os.makedirs(root / 'leftImg8bit' / 'test')
    os.makedirs(root / 'gtFine' / 'test')
    with pytest.raises(DatasetNotFoundError, match='no "\\*_leftImg8bit.png" images'):
        CheckedCityscapesDataset(
            data_root=str(root),
            data_prefix=dict(img_path='leftImg8bit/test', seg_map_path='gtFine/test'))


# ------------------------------------------------------ training runs
USER_CONFIG = osp.join(ROOT, 'configs', CBDA.format('gta2cs', 10, ''))
SOURCE_FREE = osp.join(ROOT, 'configs', ripu('ripu-sourcefree'))
@pytest.fixture(scope='module')
def real_layout(tmp_path_factory):
    """Tiny GTA5 and Cityscapes trees in their official layouts, converted."""
    tmp = tmp_path_factory.mktemp('real_layout')
    gta = converted('gta5', make_gta5, tmp / 'gta5', n=4, w=SRC_SIZE[0],
                     h=SRC_SIZE[1], mismatch=())
    cs = converted('cityscapes', make_cityscapes, tmp / 'cityscapes',
                    w=TGT_SIZE[0], h=TGT_SIZE[1], per_city=2)
    return gta, cs


@pytest.mark.e2e
def test_user_cbda_config_trains_one_round_on_1_and_2_processes(tmp_path, real_layout):
    gta, cs = real_layout
    # lr = 0 and BatchNorm momentum = 0: both runs score the pool with the
    # same (initial) weights, so the 1- and 2-process selections (sharded
    # scoring, cross-rank top-N merge, class weights) must be identical.
    # With learning, 2 ranks see other batches than 1 and legitimately pick
    # other regions.
    frozen_bn = dict(BN, momentum=0.0)
    model = dict(backbone=dict(TINY_MODEL['backbone'], norm_cfg=frozen_bn),
                 decode_head=dict(TINY_MODEL['decode_head'], norm_cfg=frozen_bn))
    config = override_config(
        tmp_path / 'cbda_tiny.py', USER_CONFIG, **SHORT, model=model,
        train_dataloader=loader_cfg(source=dict(data_root=gta),
                                 target=dict(dataset=dict(data_root=cs))),
        val_dataloader=loader_cfg(data_root=cs), test_dataloader=loader_cfg(data_root=cs),
        optim_wrapper=dict(optimizer=dict(lr=0.0)))
    options = resize_options(USER_CONFIG)
    assert len(options) == 5  # source, target, acquisition, val, test
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')

    out = train(config, options, one)
    a = round_one(one)
    # The target loss only sees acquired labels: none before the round.
    assert target_ce(out, 1) == 0 and target_ce(out, 4) > 0
    # 10% of the pool in the only round: ceil(H*W*0.1/9) squares per image,
    # shared dataset-wide by GlobalTopNAllocator.
    w, h = TGT_SIZE
    units = 4 * -(-h * w * 10 // (100 * 9))
    assert a['totals']['units'] == units
    assert a['totals']['labelled'] <= a['totals']['pixels'] <= units * 9

    out = train(config, options, two, nproc=2)
    assert 'Distributed training: True' in out
    b = round_one(two)
    assert b['totals'] == a['totals']
    assert [r['sha256'] for r in b['rounds']] == [r['sha256'] for r in a['rounds']]


@pytest.mark.e2e
def test_source_free_config_trains_on_target_alone(tmp_path, real_layout):
    _, cs = real_layout
    config = override_config(
        tmp_path / 'sourcefree_tiny.py', SOURCE_FREE, **SHORT, model=TINY_V2_MODEL,
        load_from=None,  # the source-only checkpoint of a real run
        train_dataloader=loader_cfg(dataset=dict(data_root=cs)),
        val_dataloader=loader_cfg(data_root=cs), test_dataloader=loader_cfg(data_root=cs))
    out = train(config, resize_options(SOURCE_FREE), str(tmp_path / 'w'))
    round_one(str(tmp_path / 'w'))
    logged = [x for x in out.splitlines() if 'Iter(train)' in x]
    assert all('target.loss_nl' in x and 'source.' not in x and 'loss_lcr' not in x
               for x in logged)
    assert target_ce(out, 1) == 0 and target_ce(out, 4) > 0


@pytest.mark.e2e
@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
def test_source_free_config_runs_a_round_before_its_first_step(tmp_path, real_layout, bench):
    _, cs = real_layout
    config_path = osp.join(ROOT, 'configs', ripu('ripu-sourcefree', bench=bench))
    assert Config.fromfile(config_path).active_rounds[0] == 0
    # The config's rounds [0, 2000, ...] scaled to 4 iterations: the first
    # before any training step, as the authors' SELECT_ITER starts at 0.
    config = override_config(
        tmp_path / 'sf_round0.py', config_path, **dict(SHORT, active_rounds=[0, 2]),
        model=TINY_V2_MODEL, load_from=None,
        train_dataloader=loader_cfg(dataset=dict(data_root=cs)),
        val_dataloader=loader_cfg(data_root=cs), test_dataloader=loader_cfg(data_root=cs))
    work = str(tmp_path / 'w')
    out = train(config, resize_options(config_path), work)
    assert out.index('[active] round 1:') < out.index('Iter(train) [1/4]')
    assert out.index('Iter(train) [2/4]') < out.index('[active] round 2:')
    # Labels from round 1 already train the first step.
    assert target_ce(out, 1) > 0
