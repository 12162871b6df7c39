"""``CrashSafeCheckpointHook``: MMEngine's ``CheckpointHook``, killed safely.

MMEngine 0.10.7's hook deletes the checkpoint that falls out of
``max_keep_ckpts`` *before* it saves the new one and then writes
``last_checkpoint`` with a plain ``open(path, 'w')``: a process killed in
between can leave no checkpoint at all, or an empty ``last_checkpoint``.
This subclass, which the schedules name in ``default_hooks``, saves first,
then points ``last_checkpoint`` at the new file atomically
(:func:`mmada.engine.checkpoint.write_last_checkpoint`), and only then
removes the outdated checkpoint (never the one ``last_checkpoint`` names).
Everything else (intervals, best checkpoints, ``keep_ckpt_ids`` across
``--resume``) is MMEngine's.

The checkpoint file itself is written atomically by the runner
(:class:`mmada.engine.runner.CrashSafeRunner`).
"""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmada.engine.checkpoint import write_last_checkpoint
from mmada.registry import HOOKS


@HOOKS.register_module()
class CrashSafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that saves, records, then deletes (see the module).

    Takes ``CheckpointHook``'s arguments.
    """

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Save the checkpoint of ``step``, then drop the outdated one.

        Args:
            runner: The runner.
            step: Epoch or iteration (1-based) of the checkpoint.
            meta: Meta information saved with it.
        """
        outdated = self._keep(runner, step)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer, save_param_scheduler=self.save_param_scheduler,
            meta=meta, by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        write_last_checkpoint(runner.work_dir, self.last_ckpt)
        self._remove(outdated)

    def _keep(self, runner, step: int) -> Optional[str]:
        """Add ``step`` to the kept checkpoints; the one that falls out.

        Args:
            runner: The runner (its message hub records the kept steps).
            step: The step about to be saved.

        Returns:
            str or None: Path of the checkpoint beyond ``max_keep_ckpts``.
        """
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            return None  # saved twice in one step (latest and best): already counted
        outdated = None
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            outdated = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(self.keep_ckpt_ids.popleft()))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        return outdated

    def _remove(self, path: Optional[str]) -> None:
        """Delete an outdated checkpoint, unless it is the newest one.

        Args:
            path: The checkpoint file (or DeepSpeed folder), or ``None``.
        """
        if path is None or osp.abspath(str(path)) == osp.abspath(str(self.last_ckpt)):
            return
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)
