"""tools/train.py end to end on the tiny synthetic benchmark: train, eval, resume."""
import pytest
import glob
import json
import os.path as osp

import torch

from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def _weights(path):
    state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if v.is_floating_point()}


def _metrics(work_dir):
    recs = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            recs += [json.loads(line) for line in f]
    return [r for r in recs if 'mIoU' in r]


def test_train_eval_then_resume_equals_uninterrupted(tmp_path, bench_root):
    cfg4 = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=4)
    # Uninterrupted: 4 iterations, evaluation at the end.
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg4, '--work-dir', full])
    metrics = _metrics(full)
    assert metrics and 0 <= metrics[-1]['mIoU'] <= 100
    log = open(glob.glob(osp.join(full, '*', '*.log'))[0]).read()
    assert 'per class results' in log and 'bicycle' in log  # per-class IoU table

    # Interrupted: stop after 2 iterations (checkpoint), then --resume to 4.
    part = str(tmp_path / 'part')
    cfg2 = tiny_config(SUPERVISED, str(tmp_path / 'c2'), bench_root, max_iters=4,
                       **{'train_cfg.max_iters': 2})
    run_tool(['tools/train.py', cfg2, '--work-dir', part])
    assert osp.exists(osp.join(part, 'iter_2.pth'))
    proc = run_tool(['tools/train.py', cfg4, '--work-dir', part, '--resume'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    a, b = _weights(osp.join(full, 'iter_4.pth')), _weights(osp.join(part, 'iter_4.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)

    # tools/test.py evaluates the checkpoint exactly as mmseg does.
    proc = run_tool(['tools/test.py', cfg4, osp.join(full, 'iter_4.pth'),
                     '--work-dir', str(tmp_path / 'test')])
    assert 'mIoU' in proc.stdout + proc.stderr


def test_missing_imagenet_weights_give_one_clear_message(tmp_path, bench_root):
    cfg = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=1,
                      **{'model.backbone.init_cfg': dict(
                          type='ImageNetPretrained', checkpoint=str(tmp_path / 'r101.pth'))})
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')], check=False)
    assert proc.returncode == 1
    assert 'Could not load the ImageNet weights' in proc.stderr
    assert 'r101.pth' in proc.stderr and 'init_cfg=None' in proc.stderr
    assert 'Traceback' not in proc.stderr
