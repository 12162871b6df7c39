"""Test-only hooks that kill the training process at chosen moments."""
import os
import signal
import subprocess

from mmengine.hooks import Hook

from mmada.registry import HOOKS


class _KillWhenPickled:
    """Kills the process (SIGKILL) when ``torch.save`` pickles it."""

    def __reduce__(self):
        os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class KillInCheckpointWriteHook(Hook):
    """SIGKILL while the checkpoint of iteration ``at`` is being written.

    The kill comes from inside ``torch.save`` (it pickles an object that
    kills the process), i.e. after MMEngine's ``CheckpointHook`` decided what
    to keep and after the checkpoint file was opened, before it is complete.
    ``MMADA_NO_KILL=1`` disables it (for the resumed run).
    """

    def __init__(self, at: int) -> None:
        self.at = at

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner.iter + 1 == self.at and not os.environ.get('MMADA_NO_KILL'):
            checkpoint['meta']['kill'] = _KillWhenPickled()


@HOOKS.register_module()
class SignalAtIterHook(Hook):
    """Send SIGTERM to this process as iteration ``at`` starts (on ``rank``).

    With ``workers=True`` its dataloader workers get it too.

    The signal arrives in the middle of the iteration, as a scheduler's
    would; ``MMADA_NO_KILL=1`` disables it (for the resumed run).
    """

    def __init__(self, at: int, rank=None, workers: bool = False) -> None:
        self.at, self.rank, self.workers = at, rank, workers

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        import multiprocessing

        from mmengine.dist import get_rank
        if runner.iter + 1 == self.at and not os.environ.get('MMADA_NO_KILL') and \
                self.rank in (None, get_rank()):
            if not self.workers:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            # As SLURM does: every process of the step, from another process
            # (a worker told to stop by its own parent exits quietly instead).
            pids = [str(child.pid) for child in multiprocessing.active_children()]
            assert pids, 'no dataloader workers to signal'
            subprocess.run(['kill', '-s', 'TERM', str(os.getpid())] + pids, check=True)
