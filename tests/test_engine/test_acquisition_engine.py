"""Engine extension points used through configs only: scorers with named inputs,
pool-level scorers with checkpointed state, rounds before training, point units with
pseudo labels on 1 and 2 ranks, and the README's "Adding a method"."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmada.active.label_store import LabelStore
from tests.conftest import ROOT, run_tool, tiny_config
from tests.helpers.launch import free_port

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

RANDOM_RA = 'configs/baselines/random-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
HELPERS = dict(imports=['tests.helpers.engine_scorers'], allow_failed_imports=False)
H, W = 64, 128


def _config(tmp_path, bench_root, name, **options):
    cfg = tiny_config(RANDOM_RA, str(tmp_path), bench_root, **options)
    c = Config.fromfile(cfg)
    c.custom_imports = HELPERS
    path = osp.join(str(tmp_path), name)
    c.dump(path)
    return path


def _log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_kl_scorer_and_a_round_before_the_first_step(tmp_path, bench_root):
    cfg = _config(tmp_path, bench_root, 'kl.py', max_iters=2, checkpoint_interval=2,
                  active_rounds=[0, 2],
                  **{'model.auxiliary_head': Config.fromfile(osp.join(
                      ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py')).layer3_aux_head,
                     'active_learning.scorer': dict(type='KLScorer'),
                     'active_learning.unit': dict(type='SquareRegionUnit', k=1, reduce='mean')})
    work = str(tmp_path / 'w')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    log = proc.stdout + proc.stderr
    assert LabelStore(osp.join(work, 'active_labels')).current_round == 2
    # round 1 ran before the first training iteration was logged
    assert log.index('[active] round 1:') < log.index('Iter(train) [1/2]')
    assert log.index('Iter(train) [2/2]') < log.index('[active] round 2:')


@pytest.fixture(scope='module')
def anchor_run(tmp_path_factory, bench_root):
    """Two-pass scorer: round at 2, checkpoint at 2; stopped at 3, resumed to 4."""
    tmp = tmp_path_factory.mktemp('anchors')
    cfg = _config(tmp, bench_root, 'anchors.py', max_iters=4, checkpoint_interval=2,
                  active_rounds=[2],
                  **{'active_learning.scorer': dict(type='AnchorDistanceScorer')})
    work, log = str(tmp / 'w'), str(tmp / 'log.jsonl')
    env = dict(MMADA_TEST_LOG=log)
    run_tool(['tools/train.py', cfg, '--work-dir', work, '--cfg-options',
              'train_cfg.max_iters=3'], env=env)
    run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'], env=env)
    return cfg, work, _log(log)


def test_pool_level_scorer_runs_both_passes_and_its_state_survives_resume(anchor_run):
    cfg, work, events = anchor_run
    computed = [e for e in events if e['event'] == 'computed']
    restored = [e for e in events if e['event'] == 'restored']
    # tiny benchmark: 12 source and 12 target training images, one pass each
    assert len(computed) == 1 and computed[0]['num_source'] == 12 and computed[0]['num_target'] == 12
    assert len(restored) == 1 and restored[0]['anchors'] == pytest.approx(computed[0]['anchors'])
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), map_location='cpu', weights_only=True)
    anchors = ckpt['meta']['active_learning']['scorer']['anchors']
    assert anchors.shape == (2, 128) and anchors.sum().item() == pytest.approx(computed[0]['anchors'])


def _points_store(root):
    store = LabelStore(root)
    out = {}
    for key in store.keys():
        s = store.read(key, (H, W))
        out[key] = (s.labels, s.rounds, s.excluded, s.pseudo)
    return store, out


def test_points_in_patches_same_on_one_and_two_ranks_with_pseudo_labels(tmp_path, anchor_run):
    cfg, work, _ = anchor_run
    c = Config.fromfile(cfg)
    c.active_learning.scorer = dict(type='EntropyScorer')
    # 8 x 8 patches of 64x128: 8 x 16 = 128 patches per image; 5 points each
    c.active_learning.unit = dict(type='GridPointsUnit', patch_size=8, points_per_patch=5,
                                  pseudo='points')
    # 20 points per image, counted in pixels (5 per patch): 4 patches
    c.active_learning.budget = dict(type='pixels_per_image', value=20)
    c.active_learning.allocator = dict(type='PerImageAllocator', budget_unit='pixels')
    path = str(tmp_path / 'points.py')
    c.dump(path)
    ckpt = osp.join(work, 'iter_4.pth')
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    run_tool(['tools/select.py', path, ckpt, '--work-dir', one])
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', 'tools/select.py', path, ckpt, '--work-dir', two,
         '--launcher', 'pytorch'], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    store, a = _points_store(osp.join(one, 'active_labels'))
    _, b = _points_store(osp.join(two, 'active_labels'))
    assert sorted(a) == sorted(b) and len(a) == 12
    for key in a:
        for x, y in zip(a[key], b[key]):
            np.testing.assert_array_equal(x, y, err_msg=key)
    # 12 images x 4 patches x 5 points asked; the other 124 patches' 5 points each
    # are pseudo-labelled (124 x 5), and none of them is budget.
    assert store.budget_spent()['pixels'] == 12 * 20
    for labels, rounds, excluded, pseudo in a.values():
        assert (rounds > 0).sum() == 20 and excluded.sum() == 4 * 64
        has_pseudo = pseudo != 255
        assert has_pseudo.sum() == 124 * 5
        assert not (has_pseudo & (rounds > 0)).any() and not (has_pseudo & excluded).any()

    # The loss sees the pseudo labels (with_pseudo=True), the budget does not.
    from mmengine.registry import init_default_scope
    from mmada.registry import DATASETS
    init_default_scope('mmada')
    target = Config.fromfile(path).train_dataloader.dataset.target
    target.label_store_dir = osp.join(one, 'active_labels')
    target.with_pseudo = True
    target.dataset.pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                               dict(type='PackSegInputs')]
    ds = DATASETS.build(target)
    key = ds.key(0)
    gt = ds[0]['data_samples'].gt_sem_seg.data[0].numpy()
    labels, rounds, _, pseudo = a[key]
    np.testing.assert_array_equal(gt[rounds > 0], labels[rounds > 0])
    np.testing.assert_array_equal(gt[pseudo != 255], pseudo[pseudo != 255])
    assert ((gt != 255).sum() == (rounds > 0).sum() + (pseudo != 255).sum() -
            ((rounds > 0) & (labels == 255)).sum())


README_SCORER = re.compile(r'```python\n(# (\S+\.py)\n.*?)```', re.S)


def test_get_started_adding_a_method_works_as_written(tmp_path, bench_root, monkeypatch):
    with open(osp.join(ROOT, 'docs', 'get_started.md')) as f:
        blocks = README_SCORER.findall(f.read())
    files = {osp.basename(name): code for code, name in blocks}
    scorer = next(n for n in files if 'scorer' in n)
    config = next(n for n in files if n != scorer)
    folder = tmp_path / 'my_method'
    folder.mkdir()
    (folder / scorer).write_text(files[scorer])
    # get_started.md: the folder my_method/ sits in the repository root
    (folder / config).write_text(files[config].replace("'../", "'" + ROOT + '/'))
    monkeypatch.syspath_prepend(str(folder))  # for tiny_config's own loading
    cfg = tiny_config(str(folder / config), str(tmp_path / 'cfg'), bench_root, max_iters=2,
                      active_rounds=[1])
    c = Config.fromfile(cfg)
    assert c.custom_imports['imports'] == [osp.splitext(scorer)[0]]
    os.replace(cfg, folder / ('tiny_' + config))
    work = str(tmp_path / 'w')
    proc = run_tool(['tools/train.py', str(folder / ('tiny_' + config)), '--work-dir', work])
    assert '[active] round 1:' in proc.stdout + proc.stderr
    assert LabelStore(osp.join(work, 'active_labels')).num_labelled() > 0
