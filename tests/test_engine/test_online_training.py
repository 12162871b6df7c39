"""ADA-MCU online acquisition in training: only queried labels reach the
losses, the budget is exact on 1 and 2 ranks, resume after SIGKILL in the
middle of an epoch gives the same store, bad settings stop before training."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmada.active.label_store import LabelStore
from tests.conftest import run_tool, tiny_config
from tests.helpers.stores import assert_same_store, store_snapshot
from tests.helpers.launch import dist_train

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

ADA_MCU = 'configs/ada_mcu/ada-mcu-as-5pct_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
POOL, H, W = 12, 64, 128
HOOK = 'custom_hooks'


def online_hooks(interval, *extra):
    return [dict(type='OnlineAcquisitionHook', commit_interval=interval), *extra]


def ground_truth(cfg_path):
    """Ground truth of every target training image, by store key."""
    from mmseg.datasets.transforms import LoadAnnotations

    from mmada.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmada')
    cfg = Config.fromfile(cfg_path)
    ds = DATASETS.build(cfg.train_dataloader.dataset.target)
    out = {}
    for i in range(len(ds)):
        info = ds.dataset.get_data_info(i)
        out[ds.key(i)] = LoadAnnotations()(dict(info, seg_fields=[]))['gt_seg_map']
    return out


def test_only_queried_labels_reach_the_losses(tmp_path, bench_root):
    log_dir = tmp_path / 'log'
    log_dir.mkdir()
    cfg = tiny_config(
        ADA_MCU, str(tmp_path), bench_root, max_iters=6, checkpoint_interval=6,
        custom_imports=dict(imports=['tests.helpers.online_record']),
        **{'model.online_acquisition.samples_per_image': 64,
           HOOK: online_hooks(2, dict(type='RecordTargetMetaHook'))})
    c = Config.fromfile(cfg)
    c.model.extra_losses = list(c.model.extra_losses) + [
        dict(type='RecordTargetLabelsLoss', domain='target')]
    c.dump(cfg)
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work], env=dict(MMADA_TEST_LOG_DIR=str(log_dir)))
    store = LabelStore(osp.join(work, 'active_labels'))
    gts = ground_truth(cfg)
    spent = store.budget_spent()['pixels']
    assert spent > 0
    assert sum(store.annotated_per_image().values()) == spent
    for key in store.keys():
        state = store.read(key, (H, W))
        gt = gts[key]
        valid = state.annotated & (gt < 19)
        np.testing.assert_array_equal(state.labels[valid], gt[valid])
    labelled_steps = 0
    for it in range(6):
        rec = np.load(log_dir / f'labels_{it:04d}.npz')
        meta = np.load(log_dir / f'meta_{it:04d}.npz')
        for b, key in enumerate(meta['keys']):
            lab = rec['gt'][b]
            if meta['flip'][b]:
                lab = lab[:, ::-1]
            seen = lab != 255
            labelled_steps += int(seen.any())
            state = store.read(str(key), (H, W))
            # Every label a loss received was queried (annotated in the store)
            # and is the ground truth there; unqueried pixels stay 255.
            assert state.annotated[seen].all()
            np.testing.assert_array_equal(lab[seen], gts[str(key)][seen])
            pseudo = rec['pseudo'][b]
            assert not ((pseudo != 255) & (rec['gt'][b] != 255)).any()
    assert labelled_steps > 0


def test_sigkill_mid_epoch_resumes_to_the_same_store(tmp_path, bench_root):
    # 12 target images, 2 per iteration: epochs end at iterations 6, 12.
    # Commits every iteration; checkpoints at 4 and 8; killed after 7.
    acq = 'model.online_acquisition.'
    opts = {acq + 'decay_every': 'epoch', acq + 'decay': 0.5, acq + 'samples_per_image': 64,
            HOOK: online_hooks(1), 'custom_imports': dict(imports=['tests.helpers.kill_hook'])}
    full_cfg = tiny_config(ADA_MCU, str(tmp_path / 'a'), bench_root, max_iters=10,
                           checkpoint_interval=4, **opts)
    run_tool(['tools/train.py', full_cfg, '--work-dir', str(tmp_path / 'full')])
    reference = store_snapshot(str(tmp_path / 'full' / 'active_labels'))
    ref_store = LabelStore(str(tmp_path / 'full' / 'active_labels'))
    assert ref_store.budget_spent()['pixels'] > 0

    opts[HOOK] = online_hooks(1, dict(type='KillAfterIterHook', at=7))
    kill_cfg = tiny_config(ADA_MCU, str(tmp_path / 'b'), bench_root, max_iters=10,
                           checkpoint_interval=4, **opts)
    work = str(tmp_path / 'killed')
    proc = run_tool(['tools/train.py', kill_cfg, '--work-dir', work], check=False)
    assert proc.returncode == -9
    killed = LabelStore(osp.join(work, 'active_labels'))
    at_kill = killed.current_round
    assert osp.exists(osp.join(work, 'iter_4.pth')) and not osp.exists(osp.join(work, 'iter_8.pth'))
    run_tool(['tools/train.py', kill_cfg, '--work-dir', work, '--resume'],
             env=dict(MMADA_NO_KILL='1'))
    assert_same_store(store_snapshot(osp.join(work, 'active_labels')), reference)
    resumed = LabelStore(osp.join(work, 'active_labels'))
    assert resumed.budget_spent() == ref_store.budget_spent()
    assert resumed.state_dict()['digest'] == ref_store.state_dict()['digest']
    assert glob.glob(osp.join(work, 'active_labels', 'discarded', '*'))  # rounds 5..7 moved aside
    assert at_kill > 0


@pytest.mark.parametrize('nproc', [1, 2])
def test_budget_exact_and_no_pixel_twice(tmp_path, bench_root, nproc):
    # A model trained from scratch is uncertain everywhere (S ~ 1): with
    # pi_high above every score, all pixels are G_m, labelled in both phases.
    budget = 1500
    acq = 'model.online_acquisition.'
    cfg = tiny_config(ADA_MCU, str(tmp_path), bench_root, max_iters=6, checkpoint_interval=6,
                      **{acq + 'budget': dict(type='pixels', value=budget),
                         acq + 'pi_high': 5.0, acq + 'decay': 1.0, acq + 'samples_per_image': 256,
                         acq + 'label_groups': dict(high=('medium', ), medium=('medium', ),
                                                    stop=()),
                         HOOK: online_hooks(1)})
    work = str(tmp_path / 'work')
    if nproc == 1:
        run_tool(['tools/train.py', cfg, '--work-dir', work])
    else:
        proc = dist_train(cfg, work)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    store = LabelStore(osp.join(work, 'active_labels'))
    spent = store.budget_spent()['pixels']
    assert spent == budget  # reached exactly, never exceeded
    annotated = 0
    for key in store.keys():
        annotated += int(store.read(key, (H, W)).annotated.sum())
    assert annotated == spent  # the store refuses a pixel twice; none was dropped
    per_round = [r['meta']['units'] for r in store.round_records()]
    assert sum(per_round) == budget and len(per_round) >= 2


FULL_MODEL = 'configs/ada_mcu/ada-mcu-2.2pct_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def previous_store(work):
    """A label store left in ``work`` by an earlier run (one round)."""
    from mmada.active.label_store import RoundUpdate
    store = LabelStore(osp.join(work, 'active_labels'), num_classes=19)
    store.commit_round(1, {'earlier.png': RoundUpdate((H, W), np.array([5]), np.array([3]))})
    return store_snapshot(osp.join(work, 'active_labels'))


@pytest.mark.parametrize('config,override,match', [
    (ADA_MCU, {'model.online_acquisition.budget': dict(type='ratio', value=0)},
     r'ratio must be in (0, 1]'),
    (ADA_MCU, {'model.online_acquisition.budget': dict(type='ratio', value=1e-9)},
     'is 0 pixels for a pool of'),
    (ADA_MCU, {'model.online_acquisition.budget': dict(type='pixels', value=POOL * H * W + 1)},
     'exceeds the target pool'),
    (ADA_MCU, {'model.online_acquisition.pi_low': 1.0}, 'pi_low < pi_high'),
    (ADA_MCU, {'model.auxiliary_head': None}, 'no auxiliary_head'),
    # the full model's cross-image contrastive level needs two images per domain
    (FULL_MODEL, {'train_dataloader.batch_size': 1},
     "level 'cross_image' pairs each image with another image of its domain, but the "
     'source batch holds 1 image(s); set train_dataloader.batch_size >= 2'),
])
def test_bad_settings_stop_before_training(tmp_path, bench_root, config, override, match):
    """Each bad setting stops the run before its first iteration, with one message,
    and changes nothing: no checkpoint, and a store left by an earlier run in the
    work dir stays where and as it was (not moved aside as for a new run)."""
    cfg = tiny_config(config, str(tmp_path), bench_root, max_iters=2, **override)
    work = str(tmp_path / 'w')
    before = previous_store(work)
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work], check=False)
    assert proc.returncode == 1
    assert match in proc.stderr
    assert proc.stderr.count('error: ') == 1
    assert 'Traceback' not in proc.stderr
    assert 'Iter(train)' not in proc.stdout + proc.stderr
    assert not glob.glob(osp.join(work, '*.pth')) and not glob.glob(osp.join(work, '*.bak-*'))
    assert_same_store(store_snapshot(osp.join(work, 'active_labels')), before)
