"""MADAv2 image selection through its config: a round before the first step, anchors
in the checkpoint and on disk, whole images labelled, the same images on 1 and 4 ranks."""
import pytest
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import torch

from mmada.active.label_store import LabelStore
from tests.conftest import ROOT, run_tool, tiny_config
from tests.helpers.launch import free_port

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

MADAV2 = 'configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
H, W = 64, 128


def _images(root):
    store = LabelStore(root)
    return sorted(k for k in store.keys() if (store.read(k, (H, W)).rounds > 0).all())


def test_madav2_selects_whole_images_with_checkpointed_anchors(tmp_path, bench_root):
    # tiny benchmark: 12 target training images; 3 of them (K = 10 anchors per domain)
    cfg = tiny_config(MADAV2, str(tmp_path), bench_root, max_iters=2, checkpoint_interval=2,
                      **{'active_learning.budget.value': 3})
    work = str(tmp_path / 'w')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    log = proc.stdout + proc.stderr
    assert log.index('[active] round 1:') < log.index('Iter(train) [1/2]')
    store = LabelStore(osp.join(work, 'active_labels'))
    picked = _images(osp.join(work, 'active_labels'))
    assert len(picked) == 3 and store.num_labelled() + 0 <= 3 * H * W
    assert store.budget_spent()['units'] == 3
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)
    state = ckpt['meta']['active_learning']['scorer']
    # 19 classes x 128-d decoder features (DeepLab-v2 r18 tiny classifier input)
    assert state['source_anchors'].shape == (10, 19 * 128)
    assert state['target_anchors'].shape == (10, 19 * 128)
    with np.load(osp.join(work, 'anchors', 'anchors_round_0001.npz')) as z:
        np.testing.assert_array_equal(z['source'], state['source_anchors'].numpy())

    # One round on 1 and on 4 gloo ranks (source and target passes gathered in
    # chunks on rank 0, k-means there, anchors broadcast; allocators merged).
    one, four = str(tmp_path / 'one'), str(tmp_path / 'four')
    ckpt_path = osp.join(work, 'iter_2.pth')
    run_tool(['tools/select.py', cfg, ckpt_path, '--work-dir', one])
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=4',
         f'--master_port={free_port()}', 'tools/select.py', cfg, ckpt_path, '--work-dir', four,
         '--launcher', 'pytorch'], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    shares = re.search(r'images scored per rank: ([\d/]+)\)', proc.stdout + proc.stderr)
    shares = [int(n) for n in shares.group(1).split('/')]
    assert len(shares) == 4 and sum(shares) == 12 and max(shares) - min(shares) <= 1
    a, b = _images(osp.join(one, 'active_labels')), _images(osp.join(four, 'active_labels'))
    assert len(a) == 3 and a == b
    with np.load(osp.join(one, 'anchors', 'anchors_round_0001.npz')) as za, \
            np.load(osp.join(four, 'anchors', 'anchors_round_0001.npz')) as zb:
        np.testing.assert_allclose(za['target'], zb['target'], rtol=1e-5, atol=1e-6)
