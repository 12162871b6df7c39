"""One resume-identity test for every method: a run killed right after a
checkpoint and resumed with ``tools/train.py --resume`` ends where the
uninterrupted run ends — weights, buffers, every optimiser's state, the
schedulers, the resumable runtime state and the label store, bit for bit
(tensors to 1e-5).

Each case trains 4 iterations with a checkpoint at 2; a test hook copies the
work dir right after iteration 2 (what a kill then leaves on disk), and the
copy is resumed to 4. Active cases commit one round before the checkpoint
and one after it, so the resumed run must both restore a round and redo one.
"""
import os.path as osp

import pytest
import torch

from tests.conftest import run_tool, tiny_config
from tests.helpers.stores import assert_same_state, assert_same_store, store_snapshot

pytestmark = pytest.mark.e2e  # every test here trains through tools/train.py

SNAPSHOT = dict(custom_imports=dict(imports=['tests.helpers.snapshot_hook']))
ROUNDS = dict(active_rounds=[1, 3])

#: case -> (config, options): one per method family and per kind of extra state.
CASES = {
    'supervised': ('configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py', {}),
    # discriminators and a second optimiser
    'advent': ('configs/uda/advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py', {}),
    # rounds and the label store
    'ripu-ra': ('configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py', ROUNDS),
    # DCCM buffer, projection head and the draws' step counter
    'mcu-contrastive': (
        'configs/ada_mcu/mcu-contrastive-rounds_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        dict(active_rounds=[1])),
    # point labels, adversarial alignment on top
    'point-sup-g1': (
        'configs/point_sup/point_sup-g1-advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py', {}),
    # EMA teacher (hook), DACS draws' call counter, rare-class source stream
    'daformer': ('configs/daformer/daformer_mit-tiny_1xb2-900_synthetic-128x256.py',
                 {'train_dataloader.sampler.min_pixels': 0}),
    # rounds on top of self-training: store, EMA teacher, MIC and DACS draws together
    'ripu-mic': ('configs/mic/ripu-ra2.2_mic-daformer-mit-tiny_1xb2-900_synthetic-128x256.py',
                 dict(ROUNDS, **{'train_dataloader.sampler.min_pixels': 0})),
}

#: Runtime information that says when or where a run happened, not what it learnt.
VOLATILE = {'time', 'experiment_name', 'cfg', 'mmengine_version', 'eta'}


def _load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def _resumable(message_hub: dict, work_dir: str) -> dict:
    """The message hub's runtime info that --resume brings back (work dir paths made relative)."""
    keep = message_hub.get('resumed_keys', {})
    return {k: v.replace(work_dir, '<work_dir>') if isinstance(v, str) else v
            for k, v in message_hub['runtime_info'].items()
            if keep.get(k, True) and k not in VOLATILE}


@pytest.mark.parametrize('case', sorted(CASES))
def test_killed_after_a_checkpoint_and_resumed_equals_uninterrupted(case, tmp_path, bench_root):
    config, options = CASES[case]
    snap = str(tmp_path / 'killed')
    cfg = tiny_config(config, str(tmp_path), bench_root, max_iters=4, checkpoint_interval=2,
                      **SNAPSHOT, **options)
    _add_hook(cfg, dict(type='SnapshotWorkDirHook', at=2, dest=snap))
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg, '--work-dir', full])
    assert osp.exists(osp.join(snap, 'iter_2.pth')) and not osp.exists(osp.join(snap, 'iter_4.pth'))

    proc = run_tool(['tools/train.py', cfg, '--work-dir', snap, '--resume'])
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr

    a, b = _load(osp.join(full, 'iter_4.pth')), _load(osp.join(snap, 'iter_4.pth'))
    assert_same_state(a['state_dict'], b['state_dict'], 'state_dict')
    assert_same_state(a['optimizer'], b['optimizer'], 'optimizer')
    assert_same_state(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')
    assert_same_state(_resumable(a['message_hub'], full), _resumable(b['message_hub'], snap),
                      'runtime_info')
    extra = sorted(set(a['meta']) - VOLATILE)
    assert_same_state({k: a['meta'][k] for k in extra}, {k: b['meta'].get(k) for k in extra}, 'meta')
    store = osp.join(full, 'active_labels')
    if options.get('active_rounds'):
        reference = store_snapshot(store)
        assert reference[0] == len(options['active_rounds'])  # every round committed
        assert_same_store(store_snapshot(osp.join(snap, 'active_labels')), reference)
    _check_case(case, a, _load(osp.join(snap, 'iter_2.pth')))


def _add_hook(cfg_path: str, hook: dict) -> None:
    from mmengine.config import Config
    c = Config.fromfile(cfg_path)
    c.custom_hooks = list(c.get('custom_hooks', [])) + [hook]
    c.dump(cfg_path)


def _check_case(case: str, ckpt: dict, mid: dict) -> None:
    """What each case's extra state must show, so that the identity is not vacuous.

    Args:
        case: The case name.
        ckpt: The uninterrupted run's last checkpoint.
        mid: The checkpoint the resumed run started from.
    """
    state = ckpt['state_dict']
    if case in ('advent', 'point-sup-g1'):
        assert any(k.startswith('discriminators.') for k in state)
        assert set(ckpt['optimizer']) == {'segmentor', 'discriminators'}
    if case in ('daformer', 'ripu-mic'):
        assert int(state['batch_steps.0.num_updates']) == 4  # one EMA update per step
        assert int(mid['state_dict']['batch_steps.0.num_updates']) == 2
        dacs = 2 if case == 'ripu-mic' else 1  # MIC runs between teacher and DACS
        assert int(state[f'batch_steps.{dacs}.num_calls']) == 4  # DACS draws
        teacher = state['batch_steps.0.net.decode_head.conv_seg.weight']
        assert not torch.equal(teacher, state['decode_head.conv_seg.weight'])
    if case == 'ripu-mic':
        assert int(state['batch_steps.1.num_calls']) == 4  # MIC mask draws
        assert int(mid['state_dict']['batch_steps.1.num_calls']) == 2
    if case == 'mcu-contrastive':
        assert int(state['extra_losses.0.num_steps']) == 4
        assert int(mid['state_dict']['extra_losses.0.num_steps']) == 2
        assert not torch.equal(state['extra_losses.0.dccm'], torch.eye(19))  # updated
        assert any(k.startswith('extra_losses.0.projector.') for k in state)
