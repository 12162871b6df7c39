"""The runner every mmada config names: MMEngine's ``Runner``, crash-safe.

``configs/_base_/default_runtime.py`` sets ``runner_type='CrashSafeRunner'``
and the schedules name :class:`~mmada.engine.hooks.CrashSafeCheckpointHook`
in ``default_hooks``; ``tools/train.py`` builds the runner through
:func:`mmada.utils.build_runner`, which honours ``runner_type`` as mmseg's
``tools/train.py`` does. Nothing of MMEngine is changed: a config that does
not name this runner gets MMEngine's behaviour.

What it adds to ``Runner``:

* :meth:`train` settles ``--resume`` first and turns SIGTERM into a
  checkpoint and a clean stop (:func:`mmada.engine.resume.prepare_training`);
* :meth:`build_dataloader` makes dataloader workers ignore a SIGTERM that
  their own main process did not send
  (:func:`mmada.engine.hooks.signal_checkpoint_hook.shield_workers`);
* :meth:`save_checkpoint` writes a local checkpoint atomically (temporary
  file, fsync, rename; :func:`mmada.utils.fileio.atomic_path`): a process
  killed while saving leaves the previous checkpoint and a temporary file
  that the next start removes.
"""
import os.path as osp
from typing import Optional, Union

from mmengine.dist import master_only
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmada.engine import resume
from mmada.engine.hooks import signal_checkpoint_hook as signal_hook
from mmada.registry import RUNNERS
from mmada.utils.fileio import atomic_path


@RUNNERS.register_module()
class CrashSafeRunner(Runner):
    """MMEngine's ``Runner`` with ``--resume`` preparation, SIGTERM handling,
    shielded dataloader workers and atomic checkpoint files.

    Built from a config with ``runner_type='CrashSafeRunner'`` (see
    :func:`mmada.utils.build_runner`); the constructor is ``Runner``'s.
    """

    def train(self):
        """Prepare (``--resume`` decision, SIGTERM handler), then train.

        Returns:
            The model, as ``Runner.train``.
        """
        try:
            resume.prepare_training(self)
            return super().train()
        finally:
            resume.finish_training()

    @staticmethod
    def build_dataloader(dataloader: Union[DataLoader, dict], seed: Optional[int] = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        """``Runner.build_dataloader``, with workers shielded from SIGTERM.

        Args:
            dataloader: A dataloader or its config.
            seed: Random seed of the workers.
            diff_rank_seed: Different seeds per rank.

        Returns:
            DataLoader: The loader.
        """
        loader = Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
        return signal_hook.shield_workers(loader)

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: Optional[dict] = None, by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """``Runner.save_checkpoint``; a local file is written atomically.

        MMEngine writes the checkpoint under a temporary name in the same
        folder, which then replaces ``filename``. Remote URIs and custom
        back-ends are MMEngine's business, unchanged.

        Args:
            out_dir: Folder (or URI) of the checkpoint.
            filename: Its file name.
            file_client_args: MMEngine's (deprecated) file client arguments.
            save_optimizer: Save the optimiser state.
            save_param_scheduler: Save the parameter schedulers' state.
            meta: Extra meta information.
            by_epoch: Record the epoch (else the iteration) as finished.
            backend_args: MMEngine's file back-end arguments.
        """
        kwargs = dict(file_client_args=file_client_args, save_optimizer=save_optimizer,
                      save_param_scheduler=save_param_scheduler, meta=meta, by_epoch=by_epoch,
                      backend_args=backend_args)
        if '://' in str(out_dir) or file_client_args is not None or backend_args:
            super().save_checkpoint(out_dir, filename, **kwargs)
            return
        with atomic_path(osp.join(out_dir, filename)) as tmp:
            super().save_checkpoint(out_dir, osp.basename(tmp), **kwargs)
