"""Importing mmada changes nothing in MMEngine: its behaviour is configured.

mmada's crash-safe checkpointing, ``--resume`` preparation, SIGTERM handling
and worker shielding are a runner (``runner_type='CrashSafeRunner'``) and a
checkpoint hook (``CrashSafeCheckpointHook``) that mmada's configs name. A
program that imports mmada and trains a plain mmseg config gets MMEngine's
own classes and functions. The one documented exception is
``HistoryBuffer``'s pickling (:mod:`mmada.engine.compat`).
"""
import importlib
import os.path as osp
import signal

import mmengine
import numpy as np
import pytest
from mmengine.hooks import CheckpointHook, Hook
from mmengine.runner import Runner

import mmada  # noqa: F401 (the import under test)

MMENGINE_DIR = osp.dirname(osp.abspath(mmengine.__file__))
# Every mmada package imported, so every registration has happened.
for _name in ('mmada.engine', 'mmada.models', 'mmada.datasets', 'mmada.active',
              'mmada.evaluation', 'mmada.utils'):
    importlib.import_module(_name)


def _function(attr):
    """The plain function behind a class attribute (staticmethod included)."""
    return getattr(attr, '__func__', attr)


def _foreign(cls) -> list:
    """Methods of ``cls`` that are not MMEngine's own code as it ships.

    A method and every function it wraps (``functools.wraps``, e.g.
    MMEngine's ``master_only``) must come from MMEngine's files.
    """
    bad = []
    for name, attr in vars(cls).items():
        func = _function(attr)
        while getattr(func, '__code__', None) is not None:
            if not osp.abspath(func.__code__.co_filename).startswith(MMENGINE_DIR):
                bad.append(f'{cls.__name__}.{name} from {func.__code__.co_filename}')
            func = getattr(func, '__wrapped__', None)
    return bad


def test_mmengine_runner_and_checkpoint_hook_are_mmengines_own_code():
    from mmengine.hooks import checkpoint_hook as hook_module
    from mmengine.runner import checkpoint as checkpoint_module
    from mmengine.runner import runner as runner_module
    assert _foreign(Runner) == [] and _foreign(CheckpointHook) == []
    for name in ('train', 'build_dataloader', 'save_checkpoint', 'load_or_resume'):
        assert _function(vars(Runner)[name]).__qualname__ == f'Runner.{name}'
    assert _function(vars(CheckpointHook)['_save_checkpoint_with_step']).__qualname__ == \
        'CheckpointHook._save_checkpoint_with_step'
    assert 'open' not in vars(hook_module)  # the builtin, not a replacement
    assert runner_module.save_checkpoint is checkpoint_module.save_checkpoint
    assert checkpoint_module.save_checkpoint.__module__ == 'mmengine.runner.checkpoint'


def test_mmada_behaviour_is_in_the_classes_its_configs_name():
    from mmengine.config import Config

    from mmada.engine.hooks import CrashSafeCheckpointHook
    from mmada.engine.runner import CrashSafeRunner
    from mmada.registry import HOOKS, RUNNERS
    assert issubclass(CrashSafeRunner, Runner) and RUNNERS.get('CrashSafeRunner') is CrashSafeRunner
    assert issubclass(CrashSafeCheckpointHook, CheckpointHook)
    assert HOOKS.get('CrashSafeCheckpointHook') is CrashSafeCheckpointHook
    cfg = Config.fromfile(osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'))
    assert cfg.runner_type == 'CrashSafeRunner'
    assert cfg.default_hooks.checkpoint.type == 'CrashSafeCheckpointHook'


class _Record(Hook):
    """Records what the training process looks like from inside a hook."""

    def before_train(self, runner) -> None:
        self.sigterm = signal.getsignal(signal.SIGTERM)
        self.hooks = [type(h) for h in runner.hooks]
        self.loader = runner.train_loop.dataloader


def _plain_mmseg_cfg(root: str, work_dir: str):
    """A tiny mmseg config (mmseg scope, MMEngine's runner and hooks)."""
    import cv2
    from mmengine.config import Config
    rng = np.random.default_rng(0)
    for i in range(2):
        for sub, img in (('img', rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)),
                         ('ann', rng.integers(0, 2, (32, 32), dtype=np.uint8))):
            mmengine.mkdir_or_exist(osp.join(root, sub))
            cv2.imwrite(osp.join(root, sub, f'{i}.png'), img)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')]
    dataset = dict(type='BaseSegDataset', data_root=root, metainfo=dict(classes=('a', 'b')),
                   img_suffix='.png', seg_map_suffix='.png',
                   data_prefix=dict(img_path='img', seg_map_path='ann'), pipeline=pipeline)
    norm = dict(type='BN', requires_grad=True)
    return Config(dict(
        default_scope='mmseg', work_dir=work_dir, randomness=dict(seed=0),
        model=dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', mean=[0., 0., 0.],
                                   std=[255., 255., 255.], size=(32, 32)),
            backbone=dict(type='ResNetV1c', depth=18, base_channels=8, stem_channels=8,
                          norm_cfg=norm, init_cfg=None),
            decode_head=dict(type='FCNHead', in_channels=64, in_index=3, channels=8,
                             num_convs=1, num_classes=2, norm_cfg=norm,
                             loss_decode=dict(type='CrossEntropyLoss'))),
        train_dataloader=dict(batch_size=2, num_workers=0,
                              sampler=dict(type='InfiniteSampler', shuffle=False),
                              dataset=dataset),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1,
                                           max_keep_ckpts=1),
                           logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(by_epoch=False)))


@pytest.mark.e2e
def test_plain_mmseg_training_after_import_mmada_is_mmengines(tmp_path):
    """A plain config trains with MMEngine's runner, hooks and signal handling."""
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(_plain_mmseg_cfg(str(tmp_path / 'data'), work_dir))
    record = _Record()
    runner.register_hook(record)
    sigterm = signal.getsignal(signal.SIGTERM)
    runner.train()
    assert type(runner) is Runner
    assert record.sigterm is sigterm  # no SIGTERM handler installed for this run
    mmada_hooks = [h for h in record.hooks if h.__module__.startswith('mmada')]
    assert mmada_hooks == [] and CheckpointHook in record.hooks
    assert not type(record.loader.worker_init_fn).__module__.startswith('mmada')
    # MMEngine's own max_keep_ckpts=1 bookkeeping: only the last checkpoint.
    assert sorted(p.name for p in (tmp_path / 'work').glob('*.pth')) == ['iter_2.pth']
    assert open(osp.join(work_dir, 'last_checkpoint')).read() == osp.join(work_dir, 'iter_2.pth')
    assert _foreign(Runner) == [] and _foreign(CheckpointHook) == []
