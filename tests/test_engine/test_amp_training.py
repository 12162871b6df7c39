"""Mixed precision (issue 10, item 1 "with AMP where the config asks"): AdvEnt's two
optimisers as AMP wrappers through ``tools/train.py --amp`` on the CPU (bfloat16
autocast, ``torch.amp.GradScaler('cpu')``), the loss scalers in the checkpoint and
back on ``--resume``; MMEngine's GPU-only ``AmpOptimWrapper`` refused on the CPU
with the fix."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper
from mmengine.registry import init_default_scope

from mmada.engine.optimizers import DeviceAmpOptimWrapper, MultiOptimWrapperConstructor
from mmada.engine.optimizers.amp import enable_amp
from mmada.registry import MODELS
from mmada.utils.errors import UserFacingError
from tests.conftest import run_tool, tiny_config

ADVENT = 'configs/uda/advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
#: Doubling the scale after every finite step makes "restored or restarted"
#: visible in the checkpoint: 2 ** (4 + steps) after ``steps`` steps.
SCALER = dict(init_scale=16.0, growth_interval=1)


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


#: Both optimisers' loss scalers, kept by --amp (which adds only the type).
SCALER_OPTIONS = ['--cfg-options'] + [
    f'optim_wrapper.{name}.loss_scale.{key}={value}'
    for name in ('segmentor', 'discriminators') for key, value in SCALER.items()]


def test_enable_amp_turns_every_optimiser_into_an_amp_one():
    cfg = Config(dict(optim_wrapper=dict(
        constructor='MultiOptimWrapperConstructor',
        segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
        discriminators=dict(type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=0.1)))))
    lines = enable_amp(cfg, device='cpu')
    assert cfg.optim_wrapper.segmentor.type == 'DeviceAmpOptimWrapper'
    assert cfg.optim_wrapper.discriminators.type == 'AmpOptimWrapper'  # kept as configured
    assert len(lines) == 2 and 'already AMP' in lines[1]
    single = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD'))))
    enable_amp(single, device='cuda')
    assert single.optim_wrapper.type == 'AmpOptimWrapper'  # mmseg's --amp on a GPU
    assert single.optim_wrapper.loss_scale == 'dynamic'
    odd = Config(dict(optim_wrapper=dict(type='ApexOptimWrapper', optimizer=dict(type='SGD'))))
    with pytest.raises(UserFacingError, match='only OptimWrapper'):
        enable_amp(odd, device='cpu')


def test_device_amp_wrapper_on_cpu_scales_and_autocasts_to_bfloat16():
    model = torch.nn.Linear(4, 2)
    wrapper = DeviceAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                                    loss_scale=dict(SCALER), device='cpu')
    assert isinstance(wrapper, AmpOptimWrapper) and wrapper.cast_dtype == torch.bfloat16
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    wrapper.update_params(out.float().pow(2).mean())
    assert not torch.equal(before, model.weight)
    assert wrapper.state_dict()['loss_scaler']['scale'] == 32.0  # one finite step: x2
    with pytest.raises(UserFacingError, match="only dtype='bfloat16'"):
        DeviceAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                              dtype='float16', device='cpu')


@pytest.fixture(scope='module')
def amp_runs(tmp_path_factory, bench_root):
    """AdvEnt with --amp: 4 iterations straight, and 2 + resumed to 4."""
    tmp = tmp_path_factory.mktemp('amp')
    cfg4 = tiny_config(ADVENT, str(tmp / 'c4'), bench_root, max_iters=4)
    cfg2 = tiny_config(ADVENT, str(tmp / 'c2'), bench_root, max_iters=4,
                       **{'train_cfg.max_iters': 2})
    full, part, fp32 = str(tmp / 'full'), str(tmp / 'part'), str(tmp / 'fp32')
    run_tool(['tools/train.py', cfg4, '--amp', '--work-dir', full])
    run_tool(['tools/train.py', cfg2, '--amp', '--work-dir', part] + SCALER_OPTIONS)
    resumed = run_tool(['tools/train.py', cfg4, '--amp', '--work-dir', part, '--resume']
                       + SCALER_OPTIONS)
    cfg1 = tiny_config(ADVENT, str(tmp / 'c1'), bench_root, max_iters=1)
    run_tool(['tools/train.py', cfg1, '--work-dir', fp32])
    return full, part, resumed.stdout + resumed.stderr, fp32


def _dumped_config(work):
    name = osp.basename(ADVENT)
    return Config.fromfile(osp.join(work, name))


@pytest.mark.e2e
def test_advent_with_amp_trains_both_optimisers_as_amp_wrappers(amp_runs):
    full, _, _, fp32 = amp_runs
    cfg = _dumped_config(full)  # the config as the runner used it, after --amp
    init_default_scope('mmada')
    model = MODELS.build(cfg.model)
    wrappers = MultiOptimWrapperConstructor(
        {k: v for k, v in cfg.optim_wrapper.items() if k != 'constructor'})(model)
    assert set(wrappers.keys()) == {'segmentor', 'discriminators'}
    for name, wrapper in wrappers.items():
        assert isinstance(wrapper, AmpOptimWrapper), name
        assert wrapper.cast_dtype == torch.bfloat16
    logs = [json.loads(line) for line in open(_scalars(full))]
    train = [r for r in logs if 'loss' in r]
    assert len(train) == 4
    for record in train:
        for key in ('loss', 'disc.loss_d_main', 'disc.loss_d_aux'):
            assert math.isfinite(record[key]), (key, record)
    # the same first step in float32: close, not equal (the AMP run computed in bfloat16)
    first = [json.loads(line) for line in open(_scalars(fp32)) if 'loss' in line][0]
    assert first['loss'] != train[0]['loss']
    assert first['loss'] == pytest.approx(train[0]['loss'], rel=0.05)
    ckpt = _load(osp.join(full, 'iter_4.pth'))
    for name in ('segmentor', 'discriminators'):
        scaler = ckpt['optimizer'][name]['loss_scaler']
        assert scaler['scale'] > 0 and '_growth_tracker' in scaler


def _scalars(work):
    import glob
    return sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))[-1]


@pytest.mark.e2e
def test_resume_restores_the_loss_scalers(amp_runs):
    _, part, log, _ = amp_runs
    assert 'resumed epoch: 0, iter: 2' in log
    two, four = _load(osp.join(part, 'iter_2.pth')), _load(osp.join(part, 'iter_4.pth'))
    for name in ('segmentor', 'discriminators'):
        # x2 per finite step from 16: 64 after 2 steps; 256 after 4 only if the
        # resumed run continued from the checkpoint's 64 (a fresh scaler: 64).
        assert two['optimizer'][name]['loss_scaler']['scale'] == 64.0, name
        assert four['optimizer'][name]['loss_scaler']['scale'] == 256.0, name
    assert set(four['optimizer']) == {'segmentor', 'discriminators'}


@pytest.mark.e2e
def test_gpu_only_amp_wrapper_is_refused_on_cpu_with_the_fix(tmp_path, bench_root):
    cfg = tiny_config(ADVENT, str(tmp_path), bench_root, max_iters=1,
                      **{'optim_wrapper.segmentor.type': 'AmpOptimWrapper'})
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')], check=False)
    assert proc.returncode == 1
    assert "optim_wrapper.segmentor is MMEngine's AmpOptimWrapper" in proc.stderr
    assert 'DeviceAmpOptimWrapper' in proc.stderr
