"""Acquisition during training: budgets, workers, resume after SIGKILL, ranks."""
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmada.active.label_store import LabelStore
from tests.conftest import ROOT, run_tool, tiny_config
from tests.helpers.launch import free_port
from tests.helpers.stores import assert_same_store, logged_scalars, store_snapshot

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

RANDOM_RA = 'configs/baselines/random-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
RIPU_RA = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
POOL, H, W = 12, 64, 128  # tiny benchmark target train pool


def test_rounds_exact_budget_no_overlap_and_workers_see_new_labels(tmp_path, bench_root):
    cfg = tiny_config(RANDOM_RA, str(tmp_path), bench_root, max_iters=12,
                      checkpoint_interval=12, active_rounds=[2, 3])
    # Real dataloader workers (persistent) read the labels from disk.
    from mmengine.config import Config
    c = Config.fromfile(cfg)
    c.train_dataloader.num_workers = 2
    c.train_dataloader.persistent_workers = True
    c.dump(cfg)
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work])
    root = osp.join(work, 'active_labels')
    n_round, state = store_snapshot(root)
    assert n_round == 2 and len(state) == POOL
    # RIPU's RA budget: ceil(H*W*r/9) squares per image and round, r=2.2%/2.
    per_round = math.ceil(H * W * 0.022 / 2 / 9)
    for key, (labels, rounds, excluded) in state.items():
        for r in (1, 2):
            picked = rounds == r
            # squares never overlap: exactly per_round * 9 pixels unless a square
            # is clipped by the border (then fewer)
            assert picked.sum() <= per_round * 9
            assert picked.sum() >= per_round * 9 - 2 * 3 * per_round
        assert ((labels != 255) <= (rounds > 0)).all()
    total = sum((s[1] > 0).sum() for s in state.values())
    assert total <= POOL * 2 * per_round * 9
    # Round-1 and round-2 pixels are disjoint and both present: every image
    # has pixels of both rounds, and the round map still holds every pixel
    # each round committed (a round-2 pick of a round-1 pixel would have
    # overwritten its round, leaving fewer round-1 pixels than committed).
    assert all((s[1] == 1).any() and (s[1] == 2).any() for s in state.values())
    records = LabelStore(root).round_records()
    for r in (1, 2):
        in_map = sum(int((s[1] == r).sum()) for s in state.values())
        assert in_map == records[r - 1]['stats']['pixels'] > 0
    # The target loss only counts labelled pixels: 0 before round 1, > 0 once
    # the workers read the new labels (after at most num_workers *
    # prefetch_factor = 4 batches prefetched before the round).
    loss = {r['iter']: r['target.decode.loss_ce'] for r in logged_scalars(work)
            if 'target.decode.loss_ce' in r}
    assert loss[1] == 0 and loss[2] == 0
    assert all(loss[i] > 0 for i in range(8, 13))
    # The round log and pictures.
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert '[active] round 2:' in log and 'imbalance' in log and 'labelled pixels per class' in log
    assert osp.exists(osp.join(work, 'active_vis', 'queries_round_0002.png'))
    assert osp.exists(osp.join(work, 'active_vis', 'class_histogram_round_0002.png'))
    assert osp.exists(osp.join(work, 'active_vis', 'selection_distribution_round_0002.png'))
    # the per-image counts behind that picture: every image got its equal share
    per_image = LabelStore(root).annotated_per_image()
    assert sorted(per_image) == sorted(state) and sum(per_image.values()) == sum(
        int((s[1] > 0).sum()) for s in state.values())


def test_sigkill_between_round_and_checkpoint_resumes_to_identical_store(tmp_path, bench_root):
    opts = dict(active_rounds=[2, 4], custom_imports=dict(imports=['tests.helpers.kill_hook']))
    full_cfg = tiny_config(RIPU_RA, str(tmp_path / 'a'), bench_root, max_iters=6,
                           checkpoint_interval=3, **opts)
    run_tool(['tools/train.py', full_cfg, '--work-dir', str(tmp_path / 'full')])
    reference = store_snapshot(str(tmp_path / 'full' / 'active_labels'))
    assert reference[0] == 2

    kill_cfg = tiny_config(RIPU_RA, str(tmp_path / 'b'), bench_root, max_iters=6,
                           checkpoint_interval=3, **opts)
    from mmengine.config import Config
    c = Config.fromfile(kill_cfg)
    c.custom_hooks = list(c.custom_hooks) + [dict(type='KillAfterIterHook', at=4)]
    c.dump(kill_cfg)
    work = str(tmp_path / 'killed')
    proc = run_tool(['tools/train.py', kill_cfg, '--work-dir', work], check=False)
    assert proc.returncode == -9  # killed after round 2, before the next checkpoint
    assert LabelStore(osp.join(work, 'active_labels')).current_round == 2
    assert osp.exists(osp.join(work, 'iter_3.pth')) and not osp.exists(osp.join(work, 'iter_6.pth'))
    run_tool(['tools/train.py', kill_cfg, '--work-dir', work, '--resume'],
             env=dict(MMADA_NO_KILL='1'))
    assert_same_store(store_snapshot(osp.join(work, 'active_labels')), reference)
    assert glob.glob(osp.join(work, 'active_labels', 'discarded', '*'))  # round 2 moved aside


def test_edited_store_refuses_to_resume(tmp_path, bench_root):
    cfg = tiny_config(RANDOM_RA, str(tmp_path), bench_root, max_iters=4,
                      checkpoint_interval=3, active_rounds=[2])
    work = str(tmp_path / 'w')
    run_tool(['tools/train.py', cfg, '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=3'])
    rounds = glob.glob(osp.join(work, 'active_labels', 'rounds', '*'))
    assert rounds
    with open(rounds[0], 'ab') as f:
        f.write(b'tampered')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'], check=False)
    assert proc.returncode != 0
    assert 'Iter(train) [4/4]' not in proc.stdout + proc.stderr


@pytest.mark.parametrize('override,match', [
    ({'active_learning.unit.k': -1}, 'k'),
    ({'active_learning.budget.value': 0}, 'budget value must be > 0'),
    ({'active_learning.budget': dict(type='images', value=13),
      'active_learning.allocator': dict(type='GlobalTopNAllocator')}, 'exceeds the pool'),
    ({'active_learning.budget': dict(type='images', value=3)}, 'needs a dataset-wide allocator'),
    ({'active_learning.scorer.type': 'NoSuchScorer'}, 'NoSuchScorer'),
])
def test_config_errors_rejected_before_training(tmp_path, bench_root, override, match):
    cfg = tiny_config(RANDOM_RA, str(tmp_path), bench_root, max_iters=2,
                      active_rounds=[1], **override)
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')], check=False)
    assert proc.returncode == 1
    assert match in proc.stderr
    assert 'Iter(train)' not in proc.stdout + proc.stderr


def test_same_selection_on_one_and_two_ranks_and_export_import(tmp_path, bench_root):
    cfg = tiny_config(RIPU_RA, str(tmp_path), bench_root, max_iters=2, checkpoint_interval=2,
                      active_rounds=[1000])
    from mmengine.config import Config
    c = Config.fromfile(cfg)
    c.train_cfg.max_iters = 2000  # rounds must lie inside the schedule
    c.custom_hooks = []  # train without acquisition to get weights
    c.dump(cfg)
    run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w'),
              '--cfg-options', 'train_cfg.max_iters=2'])
    ckpt = str(tmp_path / 'w' / 'iter_2.pth')
    c.custom_hooks = [dict(type='ActiveLearningHook')]
    c.dump(cfg)
    one = str(tmp_path / 'one')
    run_tool(['tools/select.py', cfg, ckpt, '--work-dir', one])
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    two = str(tmp_path / 'two')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', 'tools/select.py', cfg, ckpt, '--work-dir', two,
         '--launcher', 'pytorch'], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    a = store_snapshot(osp.join(one, 'active_labels'))
    assert a[0] == 1 and sum((s[1] > 0).sum() for s in a[1].values()) > 0
    assert_same_store(a, store_snapshot(osp.join(two, 'active_labels')))

    # Human in the loop: export the same round, "annotate" it from the ground
    # truth, import it: the store equals the simulated oracle's.
    human = str(tmp_path / 'human')
    run_tool(['tools/select.py', cfg, ckpt, '--work-dir', human, '--export'])
    manifest = glob.glob(osp.join(human, 'queries', 'round_0001', 'manifest.json'))
    assert manifest
    ann_dir = str(tmp_path / 'ann')
    _annotate_from_ground_truth(manifest[0], bench_root, ann_dir)
    run_tool(['tools/import_annotations.py', osp.join(human, 'active_labels'),
              '--round', '1', ann_dir])
    assert_same_store(a, store_snapshot(osp.join(human, 'active_labels')))


def _annotate_from_ground_truth(manifest_path, bench_root, ann_dir):
    """A perfect annotator: writes GT values at queried pixels, 255 elsewhere."""
    import cv2
    with open(manifest_path) as f:
        manifest = json.load(f)
    os.makedirs(ann_dir, exist_ok=True)
    base = osp.dirname(manifest_path)
    for item in manifest['images']:
        img = item['image']
        gt_path = img.replace('leftImg8bit', 'gtFine', 1).replace(
            '_leftImg8bit.png', '_gtFine_labelTrainIds.png')
        gt = cv2.imread(gt_path, cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(osp.join(base, item['mask']), cv2.IMREAD_UNCHANGED) > 0
        ann = np.full_like(gt, 255)
        ann[mask] = gt[mask]
        out = osp.join(ann_dir, item['annotation'])
        os.makedirs(osp.dirname(out), exist_ok=True)
        assert cv2.imwrite(out, ann)


def test_training_stops_for_annotation_and_resumes_after_import(tmp_path, bench_root):
    cfg = tiny_config(RANDOM_RA, str(tmp_path), bench_root, max_iters=4,
                      checkpoint_interval=4, active_rounds=[2],
                      **{'active_learning.oracle': dict(type='ExportOracle')})
    work = str(tmp_path / 'w')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    assert 'stopped: queries of round 1' in proc.stdout
    assert 'Iter(train) [3/4]' not in proc.stdout + proc.stderr
    manifest = osp.join(work, 'queries', 'round_0001', 'manifest.json')
    assert osp.exists(manifest) and osp.exists(osp.join(work, 'iter_2.pth'))
    store = osp.join(work, 'active_labels')
    assert LabelStore(store).current_round == 0
    # Resuming before the import says what to do and trains nothing.
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'])
    assert 'still waiting for annotations' in proc.stdout
    assert 'Iter(train) [3/4]' not in proc.stdout + proc.stderr
    ann = str(tmp_path / 'ann')
    _annotate_from_ground_truth(manifest, bench_root, ann)
    run_tool(['tools/import_annotations.py', store, '--round', '1', ann])
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'])
    assert 'Iter(train) [4/4]' in proc.stdout + proc.stderr
    assert LabelStore(store).current_round == 1 and LabelStore(store).num_labelled() > 0
