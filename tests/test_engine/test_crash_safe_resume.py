"""Crash-safe checkpoints: atomic writes, fallback resume, max_keep_ckpts, temp files."""
import glob
import logging
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmada.engine.checkpoint import find_resume_checkpoint, write_last_checkpoint
from mmada.utils.errors import UserFacingError
from mmada.utils.fileio import atomic_write, remove_stale_temp_files
from tests.conftest import ROOT, run_tool, tiny_config

SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def log():
    logger = logging.getLogger('test_crash_safe_resume')
    handler = _Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, handler.lines
    logger.removeHandler(handler)


def _ckpt(path, it):
    torch.save(dict(meta=dict(iter=it), state_dict=dict(w=torch.full((3, ), float(it)))), path)


def _work_dir(tmp_path, iters=(1, 2, 3)):
    work = str(tmp_path / 'work')
    os.makedirs(work)
    for it in iters:
        _ckpt(osp.join(work, f'iter_{it}.pth'), it)
    return work


# ------------------------------------------------------------------ atomic_write
def test_atomic_write_failure_inside_write_keeps_old_file(tmp_path):
    path = str(tmp_path / 'f.bin')
    atomic_write(path, lambda f: f.write(b'old content'))

    def half_then_fail(f):
        f.write(b'new con')
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        atomic_write(path, half_then_fail)
    assert open(path, 'rb').read() == b'old content'
    assert os.listdir(tmp_path) == ['f.bin']  # no temporary file left


def test_atomic_write_failure_between_write_and_rename_keeps_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / 'f.bin')
    atomic_write(path, lambda f: f.write(b'old'))

    def no_rename(src, dst):
        raise OSError('rename failed')

    monkeypatch.setattr(os, 'replace', no_rename)
    with pytest.raises(OSError, match='rename failed'):
        atomic_write(path, lambda f: f.write(b'new content'))
    monkeypatch.undo()
    assert open(path, 'rb').read() == b'old'
    assert os.listdir(tmp_path) == ['f.bin']
    atomic_write(path, lambda f: f.write(b'new content'))
    assert open(path, 'rb').read() == b'new content'


@pytest.mark.e2e
def test_sigkill_between_write_and_rename_leaves_old_file_and_a_stale_temp(tmp_path):
    path = str(tmp_path / 'iter_1.pth')
    atomic_write(path, lambda f: f.write(b'old'))
    open(tmp_path / 'keep.txt', 'w').write('not a temp file')
    code = ('import os, signal, sys; from mmada.utils.fileio import atomic_write\n'
            'def w(f):\n'
            '    f.write(b"new, written but never renamed"); f.flush(); os.fsync(f.fileno())\n'
            '    os.kill(os.getpid(), signal.SIGKILL)\n'
            'atomic_write(sys.argv[1], w)\n')
    proc = subprocess.run([sys.executable, '-c', code, path], cwd=ROOT, timeout=120,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == -9
    assert open(path, 'rb').read() == b'old'
    temps = glob.glob(str(tmp_path / '.iter_1.pth.tmp-*'))
    assert len(temps) == 1 and open(temps[0], 'rb').read().startswith(b'new')
    assert remove_stale_temp_files(str(tmp_path), ['*.pth']) == temps
    assert sorted(os.listdir(tmp_path)) == ['iter_1.pth', 'keep.txt']


# -------------------------------------------------------------- fallback resume
def test_valid_last_checkpoint_is_used_silently(tmp_path, log):
    work = _work_dir(tmp_path)
    write_last_checkpoint(work, osp.join(work, 'iter_2.pth'))
    assert find_resume_checkpoint(work, logger=log[0]) == osp.join(work, 'iter_2.pth')
    assert log[1] == []


def test_empty_last_checkpoint_falls_back_to_newest(tmp_path, log):
    work = _work_dir(tmp_path)
    open(osp.join(work, 'last_checkpoint'), 'w').close()  # killed after truncation
    assert find_resume_checkpoint(work, logger=log[0]) == osp.join(work, 'iter_3.pth')
    assert len(log[1]) == 1
    assert 'last_checkpoint is empty' in log[1][0] and 'iter_3.pth' in log[1][0]


def test_truncated_newest_checkpoint_falls_back_to_previous(tmp_path, log):
    work = _work_dir(tmp_path)
    newest = osp.join(work, 'iter_3.pth')
    data = open(newest, 'rb').read()
    with open(newest, 'wb') as f:
        f.write(data[:len(data) // 2])
    write_last_checkpoint(work, newest)
    assert find_resume_checkpoint(work, logger=log[0]) == osp.join(work, 'iter_2.pth')
    assert len(log[1]) == 1
    assert f'last_checkpoint names {newest}, which is cannot be loaded' in log[1][0]
    assert 'newest loadable checkpoint' in log[1][0] and log[1][0].endswith('iter_2.pth')


def test_missing_named_checkpoint_falls_back_and_skips_unloadable(tmp_path, log):
    work = _work_dir(tmp_path, iters=(1, 2))
    open(osp.join(work, 'iter_10.pth'), 'wb').write(b'garbage')  # sorts after iter_2
    write_last_checkpoint(work, osp.join(work, 'iter_11.pth'))
    assert find_resume_checkpoint(work, logger=log[0]) == osp.join(work, 'iter_2.pth')
    assert len(log[1]) == 1
    assert 'iter_11.pth, which is missing' in log[1][0]
    assert 'skipped iter_10.pth: cannot be loaded' in log[1][0]


def test_no_last_checkpoint_uses_newest_iteration_not_newest_name(tmp_path, log):
    work = _work_dir(tmp_path, iters=(9, 10))
    assert find_resume_checkpoint(work, logger=log[0]) == osp.join(work, 'iter_10.pth')
    assert 'there is no last_checkpoint' in log[1][0]


def test_nothing_loadable_is_one_clear_error_and_empty_dir_is_none(tmp_path, log):
    work = _work_dir(tmp_path, iters=())
    assert find_resume_checkpoint(work, logger=log[0]) is None
    open(osp.join(work, 'iter_4.pth'), 'wb').close()
    write_last_checkpoint(work, osp.join(work, 'iter_4.pth'))
    with pytest.raises(UserFacingError) as err:
        find_resume_checkpoint(work, logger=log[0])
    msg = str(err.value)
    assert work in msg and 'iter_4.pth' in msg and 'empty (0 bytes)' in msg
    assert 'no loadable checkpoint' in msg


# -------------------------------------------------------------- max_keep_ckpts
class _SavingRunner:
    """What CrashSafeCheckpointHook uses of a runner; saving may fail."""

    def __init__(self, work_dir, fail):
        from mmengine.logging import MessageHub
        self.work_dir, self.fail = work_dir, fail
        self.message_hub = MessageHub(f'test_crash_safe_hook_{fail}')

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if self.fail:
            raise OSError('killed while saving')
        _ckpt(osp.join(out_dir, filename), 3)


def _hook_after_step_2(work):
    from collections import deque

    from mmengine.fileio import get_file_backend

    from mmada.engine.hooks import CrashSafeCheckpointHook
    hook = CrashSafeCheckpointHook(interval=1, by_epoch=False, max_keep_ckpts=1)
    hook.out_dir, hook.file_backend = work, get_file_backend(work)
    hook.keep_ckpt_ids = deque([2], 1)
    write_last_checkpoint(work, osp.join(work, 'iter_2.pth'))
    return hook


def test_old_checkpoint_removed_only_after_the_new_one_is_saved(tmp_path):
    work = _work_dir(tmp_path, iters=(2, ))
    hook = _hook_after_step_2(work)
    hook._save_checkpoint_with_step(_SavingRunner(work, fail=False), 3, {})
    assert sorted(os.listdir(work)) == ['iter_3.pth', 'last_checkpoint']
    assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'iter_3.pth')
    assert list(hook.keep_ckpt_ids) == [3]
    hook = _hook_after_step_2(work := _work_dir(tmp_path / 'failed', iters=(2, )))
    with pytest.raises(OSError, match='killed while saving'):
        hook._save_checkpoint_with_step(_SavingRunner(work, fail=True), 3, {})
    # iter_2.pth (the only complete one) survives a failed save, still named
    assert sorted(os.listdir(work)) == ['iter_2.pth', 'last_checkpoint']
    assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'iter_2.pth')


# ----------------------------------------------------------------- end to end
@pytest.mark.e2e
def test_kill_inside_checkpoint_write_with_max_keep_1_then_empty_last_checkpoint(
        tmp_path, bench_root):
    """The issue's case through tools/train.py, always run with --resume."""
    cfg = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=4, checkpoint_interval=1,
                      **{'default_hooks.checkpoint.max_keep_ckpts': 1,
                         'custom_imports': dict(imports=['tests.helpers.fault_hooks']),
                         'custom_hooks': [dict(type='KillInCheckpointWriteHook', at=3)]})
    work = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == -9, out[-3000:]
    assert out.count('--resume: no checkpoint in') == 1 and 'starting a fresh run' in out
    assert 'Did not find last_checkpoint' not in out
    # Killed while writing iter_3: iter_2 (the only complete one) was kept.
    assert osp.exists(osp.join(work, 'iter_2.pth')) and not osp.exists(osp.join(work, 'iter_3.pth'))
    assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'iter_2.pth')
    # MMEngine pickles into memory before the file is opened: nothing of iter_3
    # on disk. A kill while the bytes are written leaves the runner's temporary
    # file (the atomic_write tests above), as this one, and a truncated record:
    assert not glob.glob(osp.join(work, '.iter_3.pth*'))
    open(osp.join(work, '.iter_3.pth.tmp-1-0123abcd'), 'wb').write(b'half a checkpoint')
    open(osp.join(work, 'last_checkpoint'), 'w').close()

    proc = run_tool(['tools/train.py', cfg, '--work-dir', work, '--resume'],
                    env=dict(MMADA_NO_KILL='1'))
    out = proc.stdout + proc.stderr
    assert 'Removed 1 temporary file(s) of interrupted checkpoint writes: .iter_3.pth.tmp-' in out
    assert ('--resume: last_checkpoint is empty; resuming from the newest loadable '
            f'checkpoint {osp.join(work, "iter_2.pth")}') in out
    assert 'resumed epoch: 0, iter: 2' in out and 'Iter(train) [4/4]' in out
    assert sorted(glob.glob(osp.join(work, '*.pth')) + glob.glob(osp.join(work, '.*tmp*'))) == \
        [osp.join(work, 'iter_4.pth')]


# ------------------------------------------------------------ --resume decision
class _Runner:
    """What prepare_training reads and sets on a runner."""

    def __init__(self, work_dir, resume, load_from, logger):
        self.work_dir, self._resume, self._load_from = work_dir, resume, load_from
        self.logger, self.hooks = logger, []

    def register_hook(self, hook):
        self.hooks.append(hook)


def _prepare(runner):
    from mmada.engine.resume import finish_training, prepare_training
    try:
        prepare_training(runner)
    finally:
        finish_training()
    return runner


def test_auto_resume_continues_from_work_dir_not_from_load_from(tmp_path, log):
    work = _work_dir(tmp_path, iters=(5, ))
    init = str(tmp_path / 'source_only.pth')
    _ckpt(init, 40)
    runner = _prepare(_Runner(work, 'auto', init, log[0]))
    assert (runner._resume, runner._load_from) == (True, osp.join(work, 'iter_5.pth'))
    assert log[1][-1] == f'--resume: continuing from {osp.join(work, "iter_5.pth")}'
    assert type(runner.hooks[0]).__name__ == 'CheckpointOnSignalHook'


def test_auto_resume_in_empty_work_dir_starts_fresh_from_load_from(tmp_path, log):
    work = _work_dir(tmp_path, iters=())
    init = str(tmp_path / 'source_only.pth')
    _ckpt(init, 40)
    runner = _prepare(_Runner(work, 'auto', init, log[0]))
    assert (runner._resume, runner._load_from) == (False, init)
    assert log[1] == [f'--resume: no checkpoint in {work}; starting a fresh run from '
                      f'load_from={init}']
    with pytest.raises(UserFacingError, match='source_only_x.pth, which does not exist'):
        _prepare(_Runner(work, 'auto', init.replace('.pth', '_x.pth'), log[0]))
    runner = _prepare(_Runner(work, True, None, log[0]))  # MMEngine's own auto resume
    assert (runner._resume, runner._load_from) == (False, None)


def test_explicit_resume_checkpoint_is_left_to_mmengine(tmp_path, log):
    from mmengine.config import Config

    from mmada.engine.resume import configure_resume
    work = _work_dir(tmp_path, iters=(5, ))
    runner = _prepare(_Runner(work, True, osp.join(work, 'iter_5.pth'), log[0]))
    assert (runner._resume, runner._load_from) == (True, osp.join(work, 'iter_5.pth'))
    assert log[1] == []
    cfg = configure_resume(Config(dict(load_from='x.pth')), osp.join(work, 'iter_5.pth'))
    assert (cfg.resume, cfg.load_from) == (True, osp.join(work, 'iter_5.pth'))
    assert configure_resume(Config(dict(load_from='x.pth')), 'auto').resume == 'auto'
    with pytest.raises(UserFacingError, match='no such checkpoint'):
        configure_resume(Config(), str(tmp_path / 'nope.pth'))
