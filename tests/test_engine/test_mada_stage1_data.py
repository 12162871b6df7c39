"""MADAv2 stage 1 trains on the labelled target images only (Eq. 6, the authors' separate
loader of the active images), with real dataloader workers that read the labels from disk,
a round mid-run, and --resume drawing the same batches as an uninterrupted run."""
import pytest
import os.path as osp

import torch

from mmada.active.label_store import LabelStore
from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

STAGE1 = 'configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
H, W = 64, 128


def _stage1(out_dir, bench_root, **options):
    opts = {'active_rounds': [0, 2], 'active_learning.budget.value': 4,
            'train_dataloader.num_workers': 2, 'custom_hooks': [
                dict(type='ActiveLearningHook'), dict(type='RecordTargetLabelsHook')],
            'custom_imports': dict(imports=['tests.helpers.target_labels_hook'],
                                   allow_failed_imports=False)}
    opts.update(options)
    return tiny_config(STAGE1, out_dir, bench_root, max_iters=5, checkpoint_interval=3, **opts)


def _seen(work):
    return torch.load(osp.join(work, 'target_labels.pt'), weights_only=False)


def test_stage1_targets_are_the_labelled_images_of_the_round_in_force_and_resume_exactly(
        tmp_path, bench_root):
    cfg = _stage1(str(tmp_path / 'c'), bench_root)
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg, '--work-dir', full])
    store = LabelStore(osp.join(full, 'active_labels'))
    first, both = set(store.keys_with_labels(1)), set(store.keys_with_labels())
    assert len(first) == 2 and len(both) == 4
    seen = _seen(full)
    assert len(seen) == 5 * 2
    names = [osp.join(osp.basename(osp.dirname(p)), osp.basename(p)) for p, _, _ in seen]
    # iterations 1-2 (after round 1, before round 2): round 1's images only, every
    # batch with its labels (workers read them from disk, none prefetched before)
    assert set(names[:4]) <= first
    # iterations 3-5: the images of both rounds, labelled as after round 2
    assert set(names[4:]) <= both and set(names[4:]) - first
    assert all((labels != 255).all() for _, _, labels in seen)

    part = str(tmp_path / 'part')
    cfg3 = _stage1(str(tmp_path / 'c3'), bench_root, **{'train_cfg.max_iters': 3})
    run_tool(['tools/train.py', cfg3, '--work-dir', part])
    proc = run_tool(['tools/train.py', cfg, '--work-dir', part, '--resume'])
    assert 'resumed epoch: 0, iter: 3' in proc.stdout + proc.stderr
    resumed = _seen(part)  # iterations 4-5
    assert [(p, f) for p, f, _ in resumed] == [(p, f) for p, f, _ in seen[6:]]
    for (_, _, a), (_, _, b) in zip(resumed, seen[6:]):
        assert torch.equal(a, b)
    a = torch.load(osp.join(full, 'iter_5.pth'), map_location='cpu', weights_only=True)
    b = torch.load(osp.join(part, 'iter_5.pth'), map_location='cpu', weights_only=True)
    assert b['meta']['active_learning']['data'] == dict(label_rounds=[[0, 1], [2, 2]])
    for k, v in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][k], v, rtol=1e-5, atol=1e-6, msg=k)


def test_stage1_bad_selection_settings_fail_before_any_pass(tmp_path, bench_root):
    # an images budget larger than the pool of 12, K larger than the number of images
    for name, options, message in (
            ('budget', {'active_learning.budget.value': 13}, 'exceeds the pool'),
            ('k', {'active_learning.scorer.num_anchors': 13, 'active_learning.budget.value': 3},
             'K = 13 anchors need at least as many source images, the source pool has 12')):
        cfg = tiny_config(STAGE1, str(tmp_path / name), bench_root, max_iters=2, **options)
        proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / f'w{name}')],
                        check=False)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 1 and 'Traceback' not in proc.stderr, log[-3000:]
        assert message in log and '[active] source pass' not in log
        assert 'Iter(train)' not in log
