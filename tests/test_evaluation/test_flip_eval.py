"""RIPU-lineage configs evaluate with flip averaging by default, as the RIPU
authors' test.py does (``tools/test.py`` reads ``test_flip_by_default``)."""
import pytest
import glob
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmada.registry import MODELS
from tests.conftest import ROOT, run_tool
from tests.helpers.datasets import make_cityscapes, run_converter

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

CONFIG = osp.join(ROOT, 'configs/baselines/supervised_deeplabv2_r101_1xb2-40k_gta2cs-1280x640.py')
TINY = dict(backbone=dict(depth=18, base_channels=16, init_cfg=None),
            decode_head=dict(in_channels=128, dilations=(1, 2)))
SCALE = (64, 32)


def _small_test_config(path, cs):
    cfg = Config.fromfile(CONFIG)
    tta = cfg.tta_pipeline
    tta[1]['transforms'][0][0]['scale'] = SCALE
    test_pipeline = [dict(t, scale=SCALE) if t['type'] == 'Resize' else t
                     for t in cfg.test_pipeline]
    loader = dict(num_workers=0, persistent_workers=False,
                  dataset=dict(data_root=cs, pipeline=test_pipeline))
    with open(path, 'w') as f:
        f.write(f'_base_ = [{CONFIG!r}]\nmodel = {TINY!r}\ntta_pipeline = {tta!r}\n'
                f'test_dataloader = {loader!r}\n')
    return str(path)


def test_ripu_lineage_tests_with_flip_averaging(tmp_path):
    cs = str(tmp_path / 'cityscapes')
    make_cityscapes(cs)
    assert run_converter('cityscapes', cs) == 0
    config = _small_test_config(tmp_path / 'small.py', cs)
    init_default_scope('mmada')
    cfg = Config.fromfile(config)
    assert cfg.test_flip_by_default is True
    ckpt = str(tmp_path / 'tiny.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(), meta={}), ckpt)
    ran = {}
    for flag in ('', '--no-tta'):
        work_dir = tmp_path / (flag.strip('-') or 'default')
        proc = run_tool(['tools/test.py', config, ckpt, '--work-dir', str(work_dir)]
                        + ([flag] if flag else []))
        assert 'mIoU' in proc.stdout + proc.stderr
        (dumped, ) = glob.glob(str(work_dir / '*' / 'vis_data' / 'config.py'))
        ran[flag] = Config.fromfile(dumped)
    # By default: SegTTAModel (softmax averaged over the image and its flip)
    # around the segmentor, on the flip pipeline; --no-tta: the plain model.
    assert ran[''].model.type == 'SegTTAModel'
    assert ran[''].model.module.type == 'TwoDomainSegmentor'
    (flip, ) = [t for t in ran[''].test_dataloader.dataset.pipeline if t['type'] == 'TestTimeAug']
    assert [t['prob'] for t in flip['transforms'][1]] == [0., 1.]
    assert ran['--no-tta'].model.type == 'TwoDomainSegmentor'
