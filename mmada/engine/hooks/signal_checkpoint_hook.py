"""SIGTERM -> a checkpoint at the next iteration boundary -> a clean stop.

SLURM (pre-emption, ``scancel``, the wall-time limit, ``--signal``) and most
schedulers send SIGTERM some time before SIGKILL. :func:`install` (called by
:func:`mmada.engine.resume.prepare_training` at the start of
``CrashSafeRunner.train``) replaces the default action, ending the process at once, by
setting a flag. SLURM signals every process of a job step, dataloader workers
included, and a worker ended by SIGTERM makes the main process fail at once
("DataLoader worker ... is killed by signal"), so :func:`shield_workers`
(applied to every dataloader ``CrashSafeRunner.build_dataloader`` builds, see
:mod:`mmada.engine.runner.crash_safe_runner`) makes workers ignore it unless their own main
process sends it (which it does when it stops them). :class:`CheckpointOnSignalHook`, which
``prepare_training`` adds to every training run, looks at the flag after each
iteration (after every other hook: an acquisition round of that iteration is
finished and in the checkpoint); the ranks agree (one ``all_reduce`` of a flag
per iteration when there are several), the checkpoint of that iteration is
saved unless the ``CheckpointHook`` just saved it, and training stops with
:class:`~mmada.utils.errors.StoppedBySignal`: ``tools/train.py`` prints one
line and exits with status 143 (128 + SIGTERM), so a job script can tell "stopped,
continue with --resume" from "finished" (0) and "failed" (1). A second
SIGTERM before the boundary ends the process at once.
"""
import os
import signal
import threading
from typing import Callable, Optional

import torch
from mmengine.dist import all_reduce, barrier, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from torch.utils.data import DataLoader

from mmada.registry import HOOKS
from mmada.utils.errors import StoppedBySignal

STOP_SIGNALS = (signal.SIGTERM, )
_received: dict = {}  # signal number -> count, for this process
_previous: dict = {}


def _handler(signum, frame) -> None:
    _received[signum] = _received.get(signum, 0) + 1
    if _received[signum] > 1:  # asked twice: stop now, as without the handler
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def install() -> bool:
    """Turn the stop signals into a flag (main thread only).

    Returns:
        bool: Whether the handler is installed (not from another thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    _received.clear()
    for signum in STOP_SIGNALS:
        previous = signal.signal(signum, _handler)
        if previous is not _handler:
            _previous[signum] = previous
    return True


def uninstall() -> None:
    """Give the stop signals back their previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, previous in list(_previous.items()):
        signal.signal(signum, previous)
        del _previous[signum]


def _exit_only_when_parent_asks(signals) -> None:
    """In a worker: the stop signals end it only when its parent sends them.

    The signals are blocked and taken by a thread (``sigwaitinfo`` tells the
    sender): from the parent (``multiprocessing`` terminating its workers) the
    worker exits quietly, as PyTorch's own handler does; from anyone else (the
    scheduler) it goes on, until its parent has checkpointed and stops it.
    """
    parent = os.getppid()
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)

    def wait() -> None:
        while True:
            info = signal.sigwaitinfo(signals)
            if info.si_pid == parent or os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=wait, name='mmada-stop-signals', daemon=True).start()


class IgnoreStopSignals:
    """A dataloader ``worker_init_fn``: workers ignore SIGTERM not sent by their parent.

    Args:
        init_fn: The loader's own ``worker_init_fn`` (MMEngine's seeding),
            called afterwards.
    """

    def __init__(self, init_fn: Optional[Callable] = None) -> None:
        self.init_fn = init_fn

    def __call__(self, worker_id: int) -> None:
        _exit_only_when_parent_asks(set(STOP_SIGNALS))
        if self.init_fn is not None:
            self.init_fn(worker_id)


def shield_workers(loader):
    """Make the workers of a ``DataLoader`` ignore the stop signals.

    Args:
        loader: What ``Runner.build_dataloader`` returned.

    Returns:
        The same loader.
    """
    if isinstance(loader, DataLoader) and loader.num_workers > 0 and \
            not isinstance(loader.worker_init_fn, IgnoreStopSignals):
        loader.worker_init_fn = IgnoreStopSignals(loader.worker_init_fn)
    return loader


def received() -> Optional[int]:
    """The stop signal received by this process, if any."""
    return next(iter(_received), None)


@HOOKS.register_module()
class CheckpointOnSignalHook(Hook):
    """Checkpoint and stop at the iteration boundary after a stop signal.

    Added to every training run by ``CrashSafeRunner.train`` (see
    :mod:`mmada.engine.resume`); listing it in a config is not needed.
    """
    priority = 'LOWEST'  # after the acquisition round and the CheckpointHook

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Stop here if any rank received a stop signal."""
        signum = received()
        if get_world_size() > 1:
            flag = torch.tensor([0 if signum is None else int(signum)], dtype=torch.int64)
            all_reduce(flag, op='max')
            signum = int(flag.item()) or None
        if signum is None:
            return
        path = self._save(runner)
        barrier()
        raise StoppedBySignal(
            f'{signal.Signals(signum).name} received: stopped after iteration '
            f'{runner.iter + 1}/{runner.max_iters} with checkpoint {path}; run the same '
            'command with --resume to continue.')

    @staticmethod
    def _save(runner) -> str:
        """Save this iteration's checkpoint unless it is already saved."""
        step = runner.iter + 1
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        hook = hooks[0] if hooks and not hooks[0].by_epoch else None
        if hook is not None:
            path = hook.file_backend.join_path(hook.out_dir, hook.filename_tmpl.format(step))
            if runner.message_hub.get_info('last_ckpt') != path:
                hook._save_checkpoint(runner)
            return path
        from mmada.engine.checkpoint import save_and_record
        return save_and_record(runner, step, by_epoch=False)
