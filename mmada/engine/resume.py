"""``--resume``: continue a run from its work dir, or start it fresh.

``tools/train.py --resume`` sets ``cfg.resume = 'auto'``: continue from the
newest loadable checkpoint of the work dir (see
:func:`mmada.engine.checkpoint.find_resume_checkpoint`), or, when the work
dir holds none, start a fresh run (``load_from``, if set, then initialises
the weights, as without ``--resume``). One log line says which happened, so a
job script can always pass ``--resume``. ``--resume CHECKPOINT`` resumes from
that file (MMEngine's ``resume=True`` with ``load_from``).

:func:`prepare_training` runs at the start of
:meth:`mmada.engine.runner.CrashSafeRunner.train`, before any hook, so hooks see the final
``runner._resume``: it removes temporary files of interrupted checkpoint
writes, then decides on rank 0 and broadcasts the decision, so every rank
resumes from the same file. It also turns SIGTERM into a checkpoint and a
clean stop (:mod:`mmada.engine.hooks.signal_checkpoint_hook`).
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.dist import broadcast_object_list, get_dist_info
from mmengine.hooks import CheckpointHook

from mmada.engine.checkpoint import clean_stale_temp_files, find_resume_checkpoint
from mmada.engine.hooks import signal_checkpoint_hook as signal_hook
from mmada.utils.errors import UserFacingError

AUTO = 'auto'


def configure_resume(cfg: Config, resume: Optional[str]) -> Config:
    """Apply ``tools/train.py --resume [CHECKPOINT]`` to a config.

    Args:
        cfg: The loaded config (modified in place).
        resume: ``None`` (no flag), ``'auto'`` (the flag alone) or a
            checkpoint path.

    Returns:
        Config: ``cfg``.
    """
    if not resume:
        cfg.resume = False
    elif resume == AUTO:
        cfg.resume = AUTO
    else:
        if '://' not in resume and not osp.isfile(resume):
            raise UserFacingError(
                f'--resume {resume}: no such checkpoint (looked for {osp.abspath(resume)}); '
                'give an existing .pth, or --resume alone to continue from the work dir.')
        cfg.resume, cfg.load_from = True, resume
    return cfg


def is_auto_resume(runner) -> bool:
    """Whether the runner continues from its work dir (``--resume`` alone).

    Args:
        runner: The runner.

    Returns:
        bool: ``resume='auto'``, or MMEngine's ``resume=True`` without
        ``load_from``.
    """
    return runner._resume == AUTO or (runner._resume is True and runner._load_from is None)


def _checkpoint_folders(runner) -> list:
    folders = [runner.work_dir]
    for hook in runner.hooks:
        out_dir = getattr(hook, 'out_dir', None) if isinstance(hook, CheckpointHook) else None
        if out_dir and '://' not in str(out_dir) and osp.abspath(out_dir) != \
                osp.abspath(runner.work_dir):
            folders.append(osp.join(out_dir, osp.basename(runner.work_dir.rstrip(osp.sep))))
    return folders


def _decide(runner) -> dict:
    """Rank 0: clean temporary files, find the checkpoint to resume from."""
    clean_stale_temp_files(_checkpoint_folders(runner), logger=runner.logger)
    if not is_auto_resume(runner):
        return dict(path=None, error=None)
    try:
        return dict(path=find_resume_checkpoint(runner.work_dir, logger=runner.logger),
                    error=None)
    except UserFacingError as err:
        return dict(path=None, error=str(err))


def prepare_training(runner) -> None:
    """Clean up, settle ``--resume`` and catch SIGTERM before training starts.

    Installs the SIGTERM handler of
    :mod:`mmada.engine.hooks.signal_checkpoint_hook` (before the dataloader
    workers are forked) and adds its ``CheckpointOnSignalHook``.

    Args:
        runner: The runner about to train (``runner._resume`` and
            ``runner._load_from`` are set to what MMEngine must do).

    Raises:
        UserFacingError: The work dir has checkpoints but none is loadable,
            or a fresh start needs a ``load_from`` file that is missing.
    """
    signal_hook.install()
    if not any(isinstance(h, signal_hook.CheckpointOnSignalHook) for h in runner.hooks):
        runner.register_hook(signal_hook.CheckpointOnSignalHook())
    rank, world_size = get_dist_info()
    box = [_decide(runner) if rank == 0 else None]
    if world_size > 1:
        broadcast_object_list(box)
    decision = box[0]
    if decision['error']:
        raise UserFacingError(decision['error'])
    if not is_auto_resume(runner):
        return
    if decision['path'] is not None:
        runner.logger.info(f'--resume: continuing from {decision["path"]}')
        runner._resume, runner._load_from = True, decision['path']
        return
    init = runner._load_from if runner._resume == AUTO else None
    if init and '://' not in str(init) and not osp.isfile(init):
        raise UserFacingError(
            f'--resume: {runner.work_dir} holds no checkpoint, so the run starts fresh from '
            f'load_from={init}, which does not exist (looked for {osp.abspath(init)}). Train '
            'the model it comes from first, or set --cfg-options load_from=/path/to/ckpt.pth.')
    runner.logger.info(
        f'--resume: no checkpoint in {runner.work_dir}; starting a fresh run'
        + (f' from load_from={init}' if init else ''))
    runner._resume, runner._load_from = False, init


def finish_training() -> None:
    """Undo :func:`prepare_training`'s process-wide change (signal handler)."""
    signal_hook.uninstall()
