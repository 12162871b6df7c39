"""tools/train.py and tools/test.py end to end on the tiny synthetic benchmark: train, eval.

(--resume: tests/test_engine/test_resume_identity.py.)"""
import pytest
import glob
import json
import os.path as osp

from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def _metrics(work_dir):
    recs = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            recs += [json.loads(line) for line in f]
    return [r for r in recs if 'mIoU' in r]


def test_train_then_eval_with_train_and_test_tools(tmp_path, bench_root):
    cfg4 = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=4)
    # Uninterrupted: 4 iterations, evaluation at the end.
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg4, '--work-dir', full])
    metrics = _metrics(full)
    assert metrics and 0 <= metrics[-1]['mIoU'] <= 100
    log = open(glob.glob(osp.join(full, '*', '*.log'))[0]).read()
    assert 'per class results' in log and 'bicycle' in log  # per-class IoU table

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
    # checked before the model and the data are built: the file, the config key, the way out
    assert f'pretrained weights {tmp_path / "r101.pth"} do not exist' in proc.stderr
    assert '--cfg-options model.backbone.init_cfg.checkpoint=/path/to/weights.pth' in proc.stderr
    assert 'model.backbone.init_cfg=None' in proc.stderr
    assert 'Traceback' not in proc.stderr and 'Iter(train)' not in proc.stderr
