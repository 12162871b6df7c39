"""Test-only hook: copy the work dir as a crash would leave it right after a checkpoint."""
import os.path as osp
import shutil

from mmengine.hooks import Hook

from mmada.registry import HOOKS


@HOOKS.register_module()
class SnapshotWorkDirHook(Hook):
    """Copy the whole work dir to ``dest`` right after iteration ``at``.

    It runs after every other after-iteration hook (the checkpoint written at
    ``at`` and an acquisition round at ``at`` included), so ``dest`` holds what
    a run killed at that moment leaves on disk: resuming in ``dest`` must end
    where the uninterrupted run ends.

    Args:
        at: The 1-based iteration after which the copy is taken.
        dest: Where the copy goes (must not exist yet).
    """
    priority = 'LOWEST'

    def __init__(self, at: int, dest: str) -> None:
        self.at = at
        self.dest = dest

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at and not osp.exists(self.dest):
            shutil.copytree(runner.work_dir, self.dest)
