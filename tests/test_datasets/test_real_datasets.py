"""GTA5 / SYNTHIA / Synscapes datasets, their configs and the missing-data path.

Fixtures are tiny trees in the official layouts, written by the builders of
``test_converters.py`` and converted by the real converters.
"""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from mmengine.config import Config
from mmseg.datasets import CityscapesDataset

import mmada.evaluation  # noqa: F401  (registers SubsetIoUMetric)
from mmada.datasets.gta5 import GTA5Dataset
from mmada.datasets.synscapes import SynscapesDataset
from mmada.datasets.synthia import SynthiaDataset
from mmada.datasets.utils import DatasetNotFoundError
from mmada.utils import UserFacingError

from tests.helpers.datasets import (
    ALL_CS_IDS, converted, CS_TRAIN_ID, expected, id_strip, make_cityscapes, make_gta5,
    make_synscapes, make_synthia, REPO, SYNTHIA_TRAIN_ID)
from tests.helpers.real_configs import small_loaders, TINY_V2, TINY_V3PLUS, train_runner

LOAD = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations')
]


@pytest.mark.parametrize('cls', [GTA5Dataset, SynthiaDataset,
                                 SynscapesDataset])
def test_metainfo_is_cityscapes(cls):
    assert list(cls.METAINFO['classes']) == list(
        CityscapesDataset.METAINFO['classes'])
    assert [list(c) for c in cls.METAINFO['palette']] == [
        list(c) for c in CityscapesDataset.METAINFO['palette']]


def test_gta5_reads_train_ids_and_skips_mismatch(tmp_path):
    root = converted('gta5', make_gta5, tmp_path / 'gta5', n=3,
                      mismatch=(1, ))
    ds = GTA5Dataset(data_root=root, pipeline=LOAD)
    names = [osp.basename(ds.get_data_info(i)['img_path'])
             for i in range(len(ds))]
    assert names == ['00001.png', '00003.png']  # 00002: label size differs
    sample = ds[1]
    ids = id_strip(np.roll(ALL_CS_IDS, 2), 40, 24)
    np.testing.assert_array_equal(sample['gt_seg_map'],
                                  expected(CS_TRAIN_ID, ids))
    assert sample['img'].shape[:2] == sample['gt_seg_map'].shape
    assert len(GTA5Dataset(data_root=root, size_mismatch='keep')) == 3


def test_gta5_mismatch_found_without_converter_list(tmp_path):
    root = converted('gta5', make_gta5, tmp_path / 'gta5', n=3,
                      mismatch=(0, 2))
    os.remove(osp.join(root, 'size_mismatch.json'))
    ds = GTA5Dataset(data_root=root)
    assert [osp.basename(d['img_path']) for d in ds.load_data_list()] == [
        '00002.png']
    with pytest.raises(ValueError, match='size_mismatch'):
        GTA5Dataset(data_root=root, size_mismatch='resize')


def test_synthia_and_synscapes_read_train_ids(tmp_path):
    root = converted('synthia', make_synthia, tmp_path / 'synthia', n=2)
    ds = SynthiaDataset(data_root=root, pipeline=LOAD)
    assert len(ds) == 2
    seg = ds[1]['gt_seg_map']
    np.testing.assert_array_equal(
        seg, expected(SYNTHIA_TRAIN_ID, id_strip(np.roll(np.arange(23), 1),
                                                 46, 20)))
    assert not np.isin(seg, [9, 14, 16]).any()  # terrain, truck, train

    root = converted('synscapes', make_synscapes, tmp_path / 'synscapes')
    ds = SynscapesDataset(data_root=root, pipeline=LOAD)
    assert [osp.basename(d['img_path']) for d in ds.load_data_list()] == [
        '1.png', '2.png']
    assert set(np.unique(ds[0]['gt_seg_map'])) == set(range(19)) | {255}


def test_missing_data_message(tmp_path):
    where = str(tmp_path / 'data' / 'gta5')
    with pytest.raises(DatasetNotFoundError) as info:
        GTA5Dataset(data_root=where)
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert isinstance(err, UserFacingError)
    msg = str(err)
    assert where in msg and 'docs/datasets.md#gta5' in msg
    assert 'python tools/dataset_converters/gta5.py ' + where in msg

    make_synthia(tmp_path / 'synthia')  # official layout, not converted
    with pytest.raises(DatasetNotFoundError,
                       match=r'2 of 2 train-id label maps'):
        SynthiaDataset(data_root=str(tmp_path / 'synthia'))
    os.makedirs(tmp_path / 'synscapes' / 'img' / 'rgb')
    with pytest.raises(DatasetNotFoundError, match=r'img/class'):
        SynscapesDataset(data_root=str(tmp_path / 'synscapes'))


def test_error_survives_pickling():
    import pickle
    err = DatasetNotFoundError('GTA5', 'data/gta5', ['x'], 'cmd', 'gta5')
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and isinstance(again, UserFacingError)


TRAIN_WRAPPER = textwrap.dedent("""
    import runpy, sys
    import mmada.datasets.gta5, mmada.datasets.synthia  # noqa
    import mmada.datasets.synscapes, mmada.evaluation  # noqa
    sys.argv = ['tools/train.py'] + sys.argv[1:]
    runpy.run_path('tools/train.py', run_name='__main__')
""")


@pytest.mark.e2e
def test_train_without_data_prints_one_message(tmp_path):
    cfg = 'configs/baselines/supervised_deeplabv2_r101_1xb2-40k_gta2cs-1280x640.py'
    where = str(tmp_path / 'nowhere' / 'gta5')
    proc = subprocess.run(
        [sys.executable, '-c', TRAIN_WRAPPER, cfg, '--work-dir',
         str(tmp_path / 'work'), '--cfg-options',
         f'train_dataloader.dataset.source.data_root={where}'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    assert where in proc.stderr and 'docs/datasets.md' in proc.stderr


@pytest.mark.e2e
def test_train_gta2cs_ripu_config(tmp_path):
    gta = converted('gta5', make_gta5, tmp_path / 'gta5', n=3, w=48, h=27)
    cs = converted('cityscapes', make_cityscapes, tmp_path / 'cityscapes')
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/baselines/'
        'supervised_deeplabv2_r101_1xb2-40k_gta2cs-1280x640.py'))
    cfg.merge_from_dict(dict(model=TINY_V2))
    small_loaders(cfg, gta, cs, (48, 24))
    runner = train_runner(cfg, tmp_path / 'work')
    assert runner.iter == 2
    metrics = runner.message_hub.get_scalar('val/mIoU')
    assert metrics is not None


@pytest.mark.e2e
def test_train_synthia2cs_mada_config(tmp_path):
    syn = converted('synthia', make_synthia, tmp_path / 'synthia', n=2)
    cs = converted('cityscapes', make_cityscapes, tmp_path / 'cityscapes')
    cfg = Config.fromfile(osp.join(
        REPO, 'configs/baselines/'
        'supervised_deeplabv3plus_r101_1xb2-40k_synthia2cs-896x512.py'))
    cfg.merge_from_dict(dict(model=TINY_V3PLUS))
    small_loaders(cfg, syn, cs, (32, 16))
    runner = train_runner(cfg, tmp_path / 'work')
    assert runner.iter == 2
    hub = runner.message_hub
    for key in ('val/mIoU', 'val/mIoU16', 'val/mIoU13'):
        assert hub.get_scalar(key) is not None, key


@pytest.mark.parametrize('name,shape,acquisition_shape', [
    ('gta2cs_ripu', (640, 1280), (640, 1280)),  # training size; scored so
    ('synthia2cs_mada', (512, 896), (32, 64)),  # crops; scored at full size
])
def test_active_target_configs(tmp_path, name, shape, acquisition_shape):
    """The *_active bases give 255 targets (nothing acquired yet)."""
    from mmengine.registry import init_default_scope

    from mmada.registry import DATASETS
    init_default_scope('mmada')
    cs = converted('cityscapes', make_cityscapes, tmp_path / 'cityscapes')
    cfg = Config.fromfile(
        osp.join(REPO, f'configs/_base_/datasets/{name}_active.py'))
    target = cfg.train_dataloader.dataset.target
    target.dataset.data_root = cs
    target.label_store_dir = str(tmp_path / 'active_labels')
    ds = DATASETS.build(target)
    assert len(ds) == 2 and ds.keys() == [
        'aachen/aachen_000000_000019_leftImg8bit.png',
        'bochum/bochum_000000_000019_leftImg8bit.png']
    sample = ds[0]
    seg = sample['data_samples'].gt_sem_seg.data
    assert tuple(seg.shape[-2:]) == shape and (seg == 255).all()
    assert tuple(ds.acquisition_sample(0)['inputs'].shape[-2:]) == \
        acquisition_shape
