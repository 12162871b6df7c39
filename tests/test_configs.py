"""Every config in configs/ loads, and the small ones build their model."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_loads(path):
    cfg = Config.fromfile(path)
    if '_base_' not in osp.relpath(path, ROOT).split(osp.sep):
        # A leaf config is a complete experiment.
        for key in ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                    'val_evaluator', 'default_scope'):
            assert key in cfg, f'{path} has no {key}'
        assert cfg.default_scope == 'mmada'


def test_mmseg_components_usable_from_mmada_scope():
    from mmengine.registry import DefaultScope

    from mmada.registry import DATASETS, HOOKS, MODELS
    with DefaultScope.overwrite_default_scope('mmada'):
        assert MODELS.get('EncoderDecoder').__module__.startswith('mmseg')
        assert MODELS.get('TwoDomainSegmentor').__module__.startswith('mmada')
        assert DATASETS.get('CityscapesDataset').__module__.startswith('mmseg')
        assert HOOKS.get('SegVisualizationHook').__module__.startswith('mmseg')
        assert MODELS.scope == 'mmada' and MODELS.parent.scope == 'mmseg'


def test_paper_schedule_values():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/schedules/schedule_40k.py'))
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 2.5e-4, 0.9, 5e-4)
    assert cfg.param_scheduler[0].power == 0.9
    assert cfg.train_cfg.max_iters == 40000
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['decode_head'].lr_mult == 10.0
