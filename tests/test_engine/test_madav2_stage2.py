"""MADAv2 stage 2 through its config on fixtures: from a stage-1 run, k-means target anchors
before the first step, teacher / ACP / ACM / OHEM / soft-anchor loss in the log, the anchor
memory and mixer statistics in the checkpoint, --resume identical (1 and 2 gloo ranks, the
state the same on both ranks), missing stage-1 outputs and bad settings refused before work."""
import os.path as osp

import numpy as np
import pytest
import torch

from tests.conftest import run_tool, tiny_config
from tests.helpers.stores import checkpoint_weights

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

STAGE1 = 'configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
STAGE2 = 'configs/madav2/madav2-stage2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


@pytest.fixture(scope='module')
def stage1(tmp_path_factory, bench_root):
    """A 2-iteration stage-1 run that labelled 3 whole target images."""
    tmp = tmp_path_factory.mktemp('madav2_stage1')
    cfg = tiny_config(STAGE1, str(tmp), bench_root, max_iters=2, checkpoint_interval=2,
                      **{'active_learning.budget.value': 3})
    work = str(tmp / 'w')
    run_tool(['tools/train.py', cfg, '--work-dir', work])
    return work


def _stage2(out_dir, bench_root, stage1, **options):
    opts = {'load_from': osp.join(stage1, 'iter_2.pth'),
            'train_dataloader.dataset.target.label_store_dir': osp.join(stage1, 'active_labels'),
            'model.extra_losses.2.start_iter': 1}
    opts.update(options)
    return tiny_config(STAGE2, out_dir, bench_root, max_iters=4, checkpoint_interval=2, **opts)


def test_stage2_trains_with_checkpointed_anchors_and_resumes_identically(
        tmp_path, bench_root, stage1):
    cfg = _stage2(str(tmp_path), bench_root, stage1)
    full = str(tmp_path / 'full')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', full])
    log = proc.stdout + proc.stderr
    assert log.index('TargetAnchorInitHook: 1 anchor memories of (10, 2432)') < \
        log.index('Iter(train) [1/4]')
    for key in ('pseudo.loss_ohem', 'target.loss_ohem', 'target.loss_anchor'):
        assert key in log
    state = checkpoint_weights(osp.join(full, 'iter_4.pth'))
    with np.load(osp.join(full, 'anchors', 'stage2_target_anchors.npz')) as z:
        initial = torch.from_numpy(z['target'])
    anchors = state['extra_losses.2.anchors']
    assert anchors.shape == (10, 19 * 128) and bool(state['extra_losses.2.initialised'])
    assert not torch.equal(anchors, initial)  # EMA-updated (Eq. 8) after start_iter
    assert torch.allclose(anchors, initial, atol=1e-2)  # ... slowly (alpha = 0.999)
    # the frozen teacher is the stage-1 model
    stage1_state = checkpoint_weights(osp.join(stage1, 'iter_2.pth'))
    for k, v in stage1_state.items():
        if k.startswith('decode_head.') or k.startswith('backbone.'):
            torch.testing.assert_close(state[f'batch_steps.0.net.{k}'], v, msg=k)
    # class-confidence statistics of both mixers are updated and kept
    for i in (1, 2):
        assert state[f'batch_steps.{i}.seen'].any() and int(state[f'batch_steps.{i}.num_calls']) == 4
    assert (state['batch_steps.2.confidence'][state['batch_steps.2.seen']] < 0).all()

    part = str(tmp_path / 'part')
    cfg2 = _stage2(str(tmp_path / 'c2'), bench_root, stage1, **{'train_cfg.max_iters': 2})
    run_tool(['tools/train.py', cfg2, '--work-dir', part])
    proc = run_tool(['tools/train.py', cfg, '--work-dir', part, '--resume'])
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 0, iter: 2' in log and 'TargetAnchorInitHook: 1' not in log
    resumed = checkpoint_weights(osp.join(part, 'iter_4.pth'))
    assert resumed.keys() == state.keys()
    for k in state:
        torch.testing.assert_close(resumed[k], state[k], rtol=1e-5, atol=1e-6, msg=k)


def _refused(tmp_path, bench_root, stage1, name, **options):
    cfg = _stage2(str(tmp_path / name), bench_root, stage1, **options)
    work = tmp_path / f'w{name}'
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(work)], check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert 'Iter(train)' not in proc.stdout + proc.stderr and not list(work.glob('*.pth'))
    return proc.stdout + proc.stderr, work


def test_stage2_missing_stage1_outputs_are_named_before_anything_is_built(
        tmp_path, bench_root, stage1):
    made_by = 'It is made by: python tools/train.py configs/mada/madav2-img5'
    ckpt = str(tmp_path / 'missing' / 'iter_300.pth')
    log, work = _refused(tmp_path, bench_root, stage1, 'a', load_from=ckpt)
    assert f'load_from checkpoint {ckpt} does not exist' in log and made_by in log
    store = str(tmp_path / 'missing' / 'active_labels')
    opts = {'train_dataloader.dataset.target.label_store_dir': store}
    log, work = _refused(tmp_path, bench_root, stage1, 'b', **opts)
    assert f'the label store {store} holds 0 committed round(s), 1 required (looked for ' \
        f'{osp.join(store, "manifest.json")})' in log and made_by in log
    assert not work.exists()  # refused before the runner made its work dir
    log, _ = _refused(tmp_path, bench_root, stage1, 'c', load_from=ckpt, **opts)
    assert 'this run needs inputs that do not exist:' in log
    assert f'1. load_from checkpoint {ckpt}' in log and f'2. the label store {store}' in log


def test_stage2_bad_anchor_settings_fail_before_the_anchor_pass(tmp_path, bench_root, stage1):
    # anchors of another feature size than the model's (19 x 128)
    log, _ = _refused(tmp_path, bench_root, stage1, 'd',
                      **{'model.extra_losses.2.feat_channels': 256})
    assert 'the model gives 2432-d image vectors, SoftAnchorAlignmentLoss expects 4864' in log
    assert 'target anchor pass' not in log
    # K larger than the 12 images of the tiny target pool
    log, _ = _refused(tmp_path, bench_root, stage1, 'e',
                      **{'model.extra_losses.2.num_anchors': 13})
    assert 'wants K = 13 anchors, the target pool has 12 images' in log
    assert 'target anchor pass' not in log


def test_mada_stage2_trains_on_pseudo_labels_with_the_anchor_loss(tmp_path, bench_root, stage1):
    cfg = tiny_config('configs/mada/mada-stage2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
                      str(tmp_path), bench_root, max_iters=2, checkpoint_interval=2,
                      load_from=osp.join(stage1, 'iter_2.pth'),
                      **{'train_dataloader.dataset.target.label_store_dir':
                         osp.join(stage1, 'active_labels')})
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')])
    log = proc.stdout + proc.stderr
    for key in ('pseudo.decode.loss_ce', 'target.decode.loss_ce', 'target.loss_anchor'):
        assert key in log
    assert 'pseudo.loss_ohem' not in log


def test_stage2_on_two_ranks_keeps_one_anchor_memory_and_resumes_it(tmp_path, bench_root, stage1):
    from tests.helpers.launch import dist_train
    hook = {'custom_imports': dict(imports=['tests.helpers.rank_weights_hook'],
                                   allow_failed_imports=False),
            'custom_hooks': [dict(type='TargetAnchorInitHook', seed=0, kmeans_iters=20,
                                  min_pixels=10), dict(type='SaveRankWeightsHook')]}
    cfg = _stage2(str(tmp_path / 'c'), bench_root, stage1, **hook,
                  **{'train_cfg.max_iters': 3, 'param_scheduler.0.end': 3})
    full = str(tmp_path / 'full')
    proc = dist_train(cfg, full)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    ranks = [torch.load(osp.join(full, f'rank{r}_weights.pth'), weights_only=True)
             for r in (0, 1)]
    # every piece of training state is the same on both ranks: the anchors (Eq. 8 with the
    # vectors of both ranks), the class statistics (Eq. 10 over both ranks' pixels), the
    # draw counters, the frozen teacher and the DDP-synchronised weights (only the student's
    # BatchNorm statistics are per rank, as under any DDP run: rank 0's are broadcast at
    # every forward and saved)
    assert ranks[0].keys() == ranks[1].keys()
    per_rank = ('running_mean', 'running_var', 'num_batches_tracked')
    shared = [k for k in ranks[0] if k.startswith('batch_steps.') or k.startswith('extra_losses.')
              or not k.endswith(per_rank)]
    assert 'extra_losses.2.anchors' in shared and 'batch_steps.1.confidence' in shared
    for k in shared:
        torch.testing.assert_close(ranks[1][k], ranks[0][k], rtol=0, atol=0, msg=k)
    assert int(ranks[0]['batch_steps.2.num_calls']) == 3 and ranks[0]['batch_steps.2.seen'].any()
    with np.load(osp.join(full, 'anchors', 'stage2_target_anchors.npz')) as z:
        assert not torch.equal(ranks[0]['extra_losses.2.anchors'], torch.from_numpy(z['target']))

    part = str(tmp_path / 'part')
    cfg2 = _stage2(str(tmp_path / 'c2'), bench_root, stage1, **hook,
                   **{'train_cfg.max_iters': 2, 'param_scheduler.0.end': 3})
    proc = dist_train(cfg2, part)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    proc = dist_train(cfg, part, extra=['--resume'])
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert 'resumed epoch: 0, iter: 2' in log and 'TargetAnchorInitHook: 1' not in log
    for r in (0, 1):  # anchors, class statistics, counters, teacher, weights of each rank
        resumed = torch.load(osp.join(part, f'rank{r}_weights.pth'), weights_only=True)
        for k in ranks[r]:
            torch.testing.assert_close(resumed[k], ranks[r][k], rtol=1e-5, atol=1e-6, msg=k)
