"""Crash-safe checkpoints: the ``last_checkpoint`` record and finding the
newest loadable checkpoint.

MMEngine 0.10.7 writes a checkpoint with ``open(path, 'wb')`` and then
``last_checkpoint`` with ``open(path, 'w')``; a process killed during either
leaves a truncated ``.pth`` or an empty ``last_checkpoint`` (and
``--resume`` then fails with ``FileNotFoundError:  can not be found.``). With
``max_keep_ckpts`` it also deletes the oldest checkpoint *before* writing the
new one, so a kill in between can leave no checkpoint at all.

The components a config names fix the writing side:
:class:`~mmada.engine.runner.CrashSafeRunner` writes checkpoint files
atomically, :class:`~mmada.engine.hooks.CrashSafeCheckpointHook` writes
``last_checkpoint`` with :func:`write_last_checkpoint` (atomically) and
deletes old checkpoints only after the new one is saved. This module holds
the reading side: :func:`find_resume_checkpoint` is what ``--resume`` uses:
``last_checkpoint`` if it names a loadable file, else the newest loadable
``iter_*.pth``.
"""
import glob
import os.path as osp
import re
from typing import List, Optional, Tuple

import torch
from mmengine.dist import is_main_process
from mmengine.logging import print_log

from mmada.utils.errors import UserFacingError
from mmada.utils.fileio import atomic_write_text, remove_stale_temp_files

LAST_CHECKPOINT = 'last_checkpoint'
CKPT_PATTERN = 'iter_*.pth'
_ITER_RE = re.compile(r'^iter_(\d+)\.pth$')


def _is_local(filename: str) -> bool:
    return '://' not in str(filename)


def write_last_checkpoint(work_dir: str, checkpoint_path: str) -> None:
    """Point ``<work_dir>/last_checkpoint`` at a checkpoint, atomically.

    Args:
        work_dir: The run's work dir.
        checkpoint_path: The checkpoint ``--resume`` should load.
    """
    atomic_write_text(osp.join(work_dir, LAST_CHECKPOINT), str(checkpoint_path))


def save_and_record(runner, step: int, by_epoch: bool = False) -> str:
    """Save ``iter_{step}.pth`` in the work dir and point ``last_checkpoint`` at it.

    For checkpoints taken outside the ``CheckpointHook``'s interval (a stop
    signal, a stop for annotation); call ``barrier()`` afterwards.

    Args:
        runner: The runner.
        step: The iteration in the file name.
        by_epoch: Passed to ``runner.save_checkpoint`` (the ``meta``'s
            epoch and iteration).

    Returns:
        str: The checkpoint's path.
    """
    path = osp.join(runner.work_dir, f'iter_{step}.pth')
    runner.save_checkpoint(runner.work_dir, osp.basename(path), by_epoch=by_epoch)
    if is_main_process():
        write_last_checkpoint(runner.work_dir, path)
    return path


def checkpoint_problem(path: str) -> Optional[str]:
    """Why a checkpoint cannot be resumed from, or ``None`` if it can.

    The file is loaded with ``torch.load(weights_only=True)`` (memory-mapped
    when it is in the zip format, so only its pickled structure is read) and
    must hold ``state_dict`` and ``meta``.

    Args:
        path: The checkpoint file.

    Returns:
        str or None: A short reason ("missing", "empty", the load error).
    """
    if not osp.isfile(path):
        return 'missing'
    if osp.getsize(path) == 0:
        return 'empty (0 bytes)'
    try:
        try:
            ckpt = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
        except RuntimeError as err:
            if 'mmap' not in str(err):
                raise
            ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 (any load error means "not loadable")
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        return f'cannot be loaded ({type(err).__name__}: {first[:200]})'
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt or 'meta' not in ckpt:
        return 'not a training checkpoint (no state_dict/meta)'
    return None


def iter_checkpoints(folder: str) -> List[str]:
    """``iter_*.pth`` files in ``folder``, newest (highest iteration) first.

    Args:
        folder: The folder to list.

    Returns:
        list[str]: Paths.
    """
    found = []
    for path in glob.glob(osp.join(glob.escape(folder), CKPT_PATTERN)):
        match = _ITER_RE.match(osp.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return [p for _, p in sorted(found, reverse=True)]


def read_last_checkpoint(work_dir: str) -> Tuple[Optional[str], Optional[str]]:
    """The path ``last_checkpoint`` names, or why there is none.

    Args:
        work_dir: The run's work dir.

    Returns:
        tuple: (path or None, reason or None).
    """
    record = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.exists(record):
        return None, 'there is no last_checkpoint'
    with open(record) as f:
        path = f.read().strip()
    if not path:
        return None, 'last_checkpoint is empty'
    return path, None


def has_checkpoints(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a ``last_checkpoint`` or an ``iter_*.pth``.

    Args:
        work_dir: The run's work dir.

    Returns:
        bool: ``True`` when ``--resume`` has something to look at.
    """
    return osp.exists(osp.join(work_dir, LAST_CHECKPOINT)) or bool(iter_checkpoints(work_dir))


def find_resume_checkpoint(work_dir: str, logger='current') -> Optional[str]:
    """The checkpoint ``--resume`` continues from.

    ``last_checkpoint``'s file when it is loadable; otherwise (record
    missing, empty, naming a missing or unloadable file) the newest loadable
    ``iter_*.pth`` of the work dir (and of the folder ``last_checkpoint``
    names, if another), with one log line saying which and why.

    Args:
        work_dir: The run's work dir.
        logger: Where the fallback line goes.

    Returns:
        str or None: The checkpoint; ``None`` when the work dir holds none
        (a fresh start).

    Raises:
        UserFacingError: Checkpoints exist but none can be loaded.
    """
    named, why = read_last_checkpoint(work_dir)
    if named is not None:
        if not _is_local(named):
            return named  # remote back-ends are MMEngine's business
        problem = checkpoint_problem(named)
        if problem is None:
            return named
        why = f'last_checkpoint names {named}, which is {problem}'
    folders = [work_dir]
    if named is not None and osp.abspath(osp.dirname(named)) != osp.abspath(work_dir):
        folders.append(osp.dirname(named))
    candidates = [p for folder in folders for p in iter_checkpoints(folder)]
    candidates.sort(key=lambda p: int(_ITER_RE.match(osp.basename(p)).group(1)), reverse=True)
    rejected = []
    for path in candidates:
        if named is not None and osp.abspath(path) == osp.abspath(named):
            continue
        problem = checkpoint_problem(path)
        if problem is None:
            print_log(f'--resume: {why}; resuming from the newest loadable checkpoint {path}'
                      + (f' (skipped {"; ".join(rejected)})' if rejected else ''),
                      logger=logger)
            return path
        rejected.append(f'{osp.basename(path)}: {problem}')
    if named is None and not candidates:
        return None
    found = ([f'last_checkpoint -> {named}'] if named else []) + \
        [f'{osp.basename(p)}' for p in candidates]
    raise UserFacingError(
        f'--resume found no loadable checkpoint in {work_dir}: {why}; '
        f'found {", ".join(found)}' + (f' ({"; ".join(rejected)})' if rejected else '') +
        '. Train without --resume in a new work dir, or restore a checkpoint there.')


def clean_stale_temp_files(folders: List[str], logger='current') -> List[str]:
    """Remove temporary files of interrupted checkpoint writes.

    Args:
        folders: Work dir and checkpoint folders.
        logger: Where a line about removed files goes.

    Returns:
        list[str]: Removed paths.
    """
    removed = []
    for folder in dict.fromkeys(osp.abspath(f) for f in folders if f and _is_local(f)):
        if osp.isdir(folder):
            removed += remove_stale_temp_files(folder, ['*.pth', LAST_CHECKPOINT])
    if removed:
        print_log(f'Removed {len(removed)} temporary file(s) of interrupted checkpoint '
                  f'writes: {", ".join(osp.basename(p) for p in removed)}', logger=logger)
    return removed
