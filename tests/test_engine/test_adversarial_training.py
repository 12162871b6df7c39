"""AdvEnt training end to end: 2 gloo processes keep parameters equal across
ranks; the default DDP wrapper is refused before training. (--resume equals an
uninterrupted run, discriminators and both optimisers included:
tests/test_engine/test_resume_identity.py.)"""
import pytest
import os.path as osp

import torch

from tests.conftest import tiny_config
from tests.helpers.launch import dist_train

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

ADVENT = 'configs/uda/advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
HOOK = dict(custom_imports=dict(imports=['tests.helpers.rank_weights_hook']),
            custom_hooks=[dict(type='SaveRankWeightsHook')])


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_two_process_gloo_keeps_ranks_equal(tmp_path, bench_root):
    cfg = tiny_config(ADVENT, str(tmp_path), bench_root, max_iters=3, checkpoint_interval=1,
                      **{'default_hooks.checkpoint.max_keep_ckpts': 3}, **HOOK)
    work = str(tmp_path / 'work')
    proc = dist_train(cfg, work)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert 'GPU number: 2' in out and 'disc.loss_d_main' in out
    r0, r1 = (_load(osp.join(work, f'rank{r}_weights.pth')) for r in (0, 1))
    start = _load(osp.join(work, 'iter_1.pth'))['state_dict']
    assert r0.keys() == r1.keys() == start.keys()
    # Parameters (not BatchNorm running statistics: buffers stay per rank with
    # broadcast_buffers=False, as in MMEngine's default wrapper).
    params = [k for k in r0 if not k.endswith(('running_mean', 'running_var',
                                               'num_batches_tracked'))]
    assert any(k.startswith('discriminators.') for k in params)
    moved = 0
    for k in params:
        torch.testing.assert_close(r0[k], r1[k], rtol=0, atol=0, msg=k)
        moved += int(not torch.equal(r0[k], start[k]))
    assert moved > 0  # training after iteration 1 changed them (equal, not frozen)


def test_default_ddp_wrapper_is_refused_before_training(tmp_path, bench_root):
    cfg = tiny_config(ADVENT, str(tmp_path), bench_root, max_iters=2,
                      model_wrapper_cfg=dict(type='MMDistributedDataParallel'))
    proc = dist_train(cfg, str(tmp_path / 'work'))
    assert proc.returncode != 0
    assert "needs model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')" in proc.stderr
    # one message per rank, no traceback from train.py (torchrun reports the exit)
    assert 'train.py", line' not in proc.stderr
    assert not osp.exists(str(tmp_path / 'work' / 'iter_1.pth'))
