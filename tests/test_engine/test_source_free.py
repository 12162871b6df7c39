"""RIPU source-free mode: target-only training from a source-only checkpoint."""
import pytest
import glob
import json
import os.path as osp

from mmada.active.label_store import LabelStore
from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

SOURCE_ONLY = 'configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py'
SOURCE_FREE = 'configs/ripu/ripu-sf-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def test_source_free_run_uses_no_source_data(tmp_path, bench_root):
    src_cfg = tiny_config(SOURCE_ONLY, str(tmp_path / 'src'), bench_root, max_iters=2)
    run_tool(['tools/train.py', src_cfg, '--work-dir', str(tmp_path / 'src_work')])
    ckpt = str(tmp_path / 'src_work' / 'iter_2.pth')

    missing = tiny_config(SOURCE_FREE, str(tmp_path / 'm'), bench_root, max_iters=4,
                          active_rounds=[2], load_from=str(tmp_path / 'nope.pth'))
    proc = run_tool(['tools/train.py', missing, '--work-dir', str(tmp_path / 'm_work')],
                    check=False)
    assert proc.returncode == 1 and 'nope.pth does not exist' in proc.stderr

    cfg = tiny_config(SOURCE_FREE, str(tmp_path / 'sf'), bench_root, max_iters=4,
                      active_rounds=[2], load_from=ckpt)
    work = str(tmp_path / 'sf_work')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    assert f'Load checkpoint from {ckpt}' in proc.stdout + proc.stderr
    recs = []
    for path in glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')):
        recs += [json.loads(line) for line in open(path)]
    train = [r for r in recs if 'loss' in r]
    assert train and all(not any(k.startswith('source.') for k in r) for r in train)
    assert all('target.loss_nl' in r for r in train)
    # CE on acquired labels only: zero before the round at iteration 2.
    by_iter = {r['iter']: r for r in train}
    assert by_iter[1]['target.decode.loss_ce'] == 0 and by_iter[4]['target.decode.loss_ce'] > 0
    assert LabelStore(osp.join(work, 'active_labels')).current_round == 1
