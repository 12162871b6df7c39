"""configs/uda/: the paper configs train a few iterations on tiny real-layout
fixtures (GTA5 / SYNTHIA / Cityscapes) with a narrow ResNet-18, their settings
are the authors', and the IntraDA pipeline (stage 1 -> tools/intrada_split.py
-> stage 2) runs end to end."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from tests.conftest import run_tool
from tests.helpers.datasets import converted, make_cityscapes, make_gta5, make_synthia, REPO
from tests.helpers.real_configs import small_loaders, TINY_V2, train_runner

UDA = osp.join(REPO, 'configs', 'uda')
PAPER = sorted(osp.basename(p) for p in glob.glob(osp.join(UDA, '*_deeplabv2_r101_*.py'))
               if 'intrada' not in p)
TINY_AUX = dict(in_channels=64, dilations=(1, 2))


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('uda_real')
    return dict(
        gta2cs=converted('gta5', make_gta5, tmp / 'gta5', n=3, w=48, h=27),
        synthia2cs=converted('synthia', make_synthia, tmp / 'synthia', n=2),
        cityscapes=converted('cityscapes', make_cityscapes, tmp / 'cityscapes'))


def tiny(name, fixtures):
    cfg = Config.fromfile(osp.join(UDA, name))
    cfg.merge_from_dict(dict(model=dict(TINY_V2, auxiliary_head=TINY_AUX)))
    bench = 'gta2cs' if '_gta2cs' in name else 'synthia2cs'
    # 64x32: the smallest input the 5 stride-2 discriminator convolutions take
    small_loaders(cfg, fixtures[bench], fixtures['cityscapes'], (64, 32))
    return cfg


def test_paper_configs_are_the_authors_settings():
    assert len(PAPER) == 8  # 4 methods x 2 benchmarks
    for name in PAPER:
        cfg = Config.fromfile(osp.join(UDA, name))
        assert cfg.model.auxiliary_head.in_channels == 1024  # layer3 classifier
        classes = 16 if 'synthia2cs' in name else 19
        assert cfg.model.decode_head.num_classes == cfg.model.auxiliary_head.num_classes == classes
        assert cfg.model.auxiliary_head.loss_decode.loss_weight == 0.1
        assert cfg.model.domain_loss_weights.target == 0.0
        assert cfg.train_dataloader.batch_size == 1
        assert [t.type for t in cfg.train_dataloader.dataset.target.pipeline] == [
            'LoadImageFromFile', 'Resize', 'PackSegInputs']  # no target label
        assert cfg.train_dataloader.dataset.target.pipeline[1].scale == (1024, 512)
        assert cfg.train_dataloader.sampler.type == 'InfiniteTwoDomainSampler'  # uniform
        assert cfg.param_scheduler[0].end == 250000
        assert cfg.train_cfg.max_iters == (150000 if 'adaptsegnet' in name else 120000)
        seg = cfg.optim_wrapper.get('segmentor', cfg.optim_wrapper).optimizer
        assert (seg.type, seg.lr, seg.momentum, seg.weight_decay) == ('SGD', 2.5e-4, 0.9, 5e-4)
        if cfg.model.type == 'AdversarialSegmentor':
            assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
            disc = cfg.optim_wrapper.discriminators.optimizer
            assert (disc.type, disc.lr, disc.betas) == ('Adam', 1e-4, (0.9, 0.99))
            assert dict(cfg.model.alignment.levels) == dict(main=0.001, aux=0.0002)
            assert cfg.model.alignment.type == (
                'SoftmaxAlignment' if 'adaptsegnet' in name else 'EntropyAlignment')
        if 'minent' in name:
            assert [(l.inputs[0] if 'inputs' in l else 'seg_logits', l.loss_weight)
                    for l in cfg.model.extra_losses] == [('seg_logits', 0.001),
                                                         ('aux_logits', 0.0002)]


@pytest.mark.e2e
@pytest.mark.parametrize('name', PAPER)
def test_paper_config_trains_on_fixtures(name, fixtures, tmp_path):
    runner = train_runner(tiny(name, fixtures), tmp_path / 'work', iters=2)
    assert runner.iter == 2
    hub = runner.message_hub
    assert hub.get_scalar('val/mIoU') is not None
    if 'synthia2cs' in name:
        assert hub.get_scalar('val/mIoU16') is not None
    if 'adaptsegnet' in name or 'advent' in name:
        assert hub.get_scalar('train/disc.loss_d_aux') is not None


@pytest.mark.e2e
@pytest.mark.parametrize('bench', ['gta2cs', 'synthia2cs'])
def test_intrada_pipeline(bench, fixtures, tmp_path):
    """Stage 1 (AdvEnt) -> entropy ranking + easy pseudo labels -> stage 2."""
    stage1 = tiny(f'advent_deeplabv2_r101_1xb1-120k_{bench}-1024x512.py', fixtures)
    train_runner(stage1, tmp_path / 'stage1', iters=1).save_checkpoint(
        str(tmp_path / 'stage1'), 'iter_1.pth')
    cfg1 = str(tmp_path / 'stage1.py')
    stage1.dump(cfg1)
    out = tmp_path / 'split'
    run_tool(['tools/intrada_split.py', cfg1, str(tmp_path / 'stage1' / 'iter_1.pth'),
              '--out-dir', str(out), '--ratio', '0.5'])
    ranking = json.loads((out / 'entropy.json').read_text())['entropy']
    easy = (out / 'easy_split.txt').read_text().split()
    hard = (out / 'hard_split.txt').read_text().split()
    assert len(ranking) == 2 and len(easy) == 1 and len(hard) == 1  # 2 train images
    assert ranking[easy[0]] <= ranking[hard[0]]
    label = np.array(Image.open(out / 'pseudo_labels' / f'{easy[0]}_gtFine_labelTrainIds.png'))
    assert label.shape == (32, 64) and label.max() < 19  # full resolution train ids
    if bench == 'synthia2cs':  # 16 predicted classes written as Cityscapes train ids
        assert not set(np.unique(label).tolist()) & {9, 14, 16}  # terrain, truck, train
    assert not (out / 'pseudo_labels' / f'{hard[0]}_gtFine_labelTrainIds.png').exists()

    cfg = tiny(f'intrada_deeplabv2_r101_1xb1-120k_{bench}-1024x512.py', fixtures)
    train = osp.join(fixtures['cityscapes'], 'leftImg8bit', 'train')
    src, tgt = cfg.train_dataloader.dataset.source, cfg.train_dataloader.dataset.target
    src.update(ann_file=str(out / 'easy_split.txt'),
               data_prefix=dict(img_path=train, seg_map_path=str(out / 'pseudo_labels')))
    tgt.update(ann_file=str(out / 'hard_split.txt'), data_prefix=dict(
        img_path=train, seg_map_path=osp.join(fixtures['cityscapes'], 'gtFine', 'train')))
    runner = train_runner(cfg, tmp_path / 'stage2', iters=2)
    source = runner.train_dataloader.dataset.source
    assert len(source) == 1 and source.get_data_info(0)['seg_map_path'].startswith(str(out))
    read_back = source[0]['data_samples'].gt_sem_seg.data
    assert read_back.max() < runner.model.seg_model.decode_head.num_classes
    assert torch.isfinite(torch.tensor(runner.message_hub.get_scalar('train/loss').current()))


MIXED = 'configs/uda/ripu-advent-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


@pytest.mark.e2e
def test_ripu_acquisition_mixed_with_advent_runs_rounds(tmp_path, bench_root):
    """RIPU rounds pick target labels with the adversarial model's segmenter,
    which then trains on them (target CE) next to the alignment terms."""
    from tests.conftest import tiny_config
    cfg = tiny_config(MIXED, str(tmp_path), bench_root, max_iters=4,
                      active_rounds=[1, 3], **{'train_dataloader.batch_size': 1})
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'work')])
    out = proc.stdout + proc.stderr
    assert '[active] round 1:' in out and '[active] round 2:' in out
    last = [x for x in out.splitlines() if 'Iter(train) [4/4]' in x][0]
    for key in ('target.decode.loss_ce', 'target.loss_nl', 'loss_adv_main',
                'disc.loss_d_main'):
        assert f'{key}: ' in last, key
    assert float(last.split('target.decode.loss_ce: ')[1].split()[0]) > 0  # acquired labels
