"""Crash-safe checkpoints: atomic saving and finding the newest loadable one.

MMEngine 0.10.7 writes a checkpoint with ``open(path, 'wb')`` and then
``last_checkpoint`` with ``open(path, 'w')``; a process killed during either
leaves a truncated ``.pth`` or an empty ``last_checkpoint`` (and
``--resume`` then fails with ``FileNotFoundError:  can not be found.``). With
``max_keep_ckpts`` it also deletes the oldest checkpoint *before* writing the
new one, so a kill in between can leave no checkpoint at all.

:mod:`mmada.engine.compat` routes MMEngine's saving through this module once,
at import time:

* :func:`save_checkpoint` replaces the function ``Runner.save_checkpoint``
  calls (``mmengine.runner.runner.save_checkpoint``): local files are written
  atomically (temporary file, fsync, rename), remote URIs still go through
  MMEngine's back-ends;
* ``last_checkpoint`` is written with :func:`write_last_checkpoint`
  (atomically), by the ``CheckpointHook`` and by the acquisition hook;
* :func:`keep_until_saved` makes the ``CheckpointHook`` delete old
  checkpoints only after the new one and ``last_checkpoint`` are on disk.

:func:`find_resume_checkpoint` is what ``--resume`` uses: ``last_checkpoint``
if it names a loadable file, else the newest loadable ``iter_*.pth``.
"""
import functools
import glob
import os.path as osp
import re
from typing import List, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import save_checkpoint as mmengine_save_checkpoint

from mmada.utils.errors import UserFacingError
from mmada.utils.fileio import atomic_write, atomic_write_text, remove_stale_temp_files

LAST_CHECKPOINT = 'last_checkpoint'
CKPT_PATTERN = 'iter_*.pth'
_ITER_RE = re.compile(r'^iter_(\d+)\.pth$')


def _is_local(filename: str) -> bool:
    return '://' not in str(filename)


def save_checkpoint(checkpoint: dict, filename: str, file_client_args: Optional[dict] = None,
                    backend_args: Optional[dict] = None) -> None:
    """Save a checkpoint; a local file is written atomically.

    Same signature as ``mmengine.runner.checkpoint.save_checkpoint``, which
    still handles remote back-ends (``s3://``, ``pavi://``, ...).

    Args:
        checkpoint: The checkpoint dict.
        filename: Destination path or URI.
        file_client_args: MMEngine's (deprecated) file client arguments.
        backend_args: MMEngine's file back-end arguments.
    """
    plain_local = _is_local(filename) and file_client_args is None and not backend_args
    if plain_local:
        atomic_write(str(filename), lambda f: torch.save(checkpoint, f))
    else:
        mmengine_save_checkpoint(checkpoint, filename, file_client_args=file_client_args,
                       backend_args=backend_args)


def write_last_checkpoint(work_dir: str, checkpoint_path: str) -> None:
    """Point ``<work_dir>/last_checkpoint`` at a checkpoint, atomically.

    Args:
        work_dir: The run's work dir.
        checkpoint_path: The checkpoint ``--resume`` should load.
    """
    atomic_write_text(osp.join(work_dir, LAST_CHECKPOINT), str(checkpoint_path))


def _open_for_checkpoint_hook(file, mode='r', *args, **kwargs):
    """``open`` as seen by MMEngine's checkpoint hook module.

    Writing ``last_checkpoint`` goes through :func:`write_last_checkpoint`;
    every other call is the builtin ``open``.
    """
    if osp.basename(str(file)) == LAST_CHECKPOINT and mode == 'w' and not args and not kwargs:
        return _AtomicTextFile(str(file))
    return open(file, mode, *args, **kwargs)


class _AtomicTextFile:
    """A write-only text file whose content replaces the destination on close."""

    def __init__(self, path: str) -> None:
        self.path, self.parts = path, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            atomic_write_text(self.path, ''.join(self.parts))


def keep_until_saved(save_with_step):
    """Wrap ``CheckpointHook._save_checkpoint_with_step``: delete later.

    MMEngine removes the checkpoint that falls out of ``max_keep_ckpts``
    before it saves the new one. The wrapper collects those removals and
    performs them once the new checkpoint and ``last_checkpoint`` are on
    disk, never removing the file ``last_checkpoint`` names.

    Args:
        save_with_step: MMEngine's method.

    Returns:
        The wrapped method.
    """
    @functools.wraps(save_with_step)
    def wrapper(self, runner, step, meta):
        backend = getattr(self, 'file_backend', None)
        if backend is None or self.max_keep_ckpts <= 0:
            return save_with_step(self, runner, step, meta)
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            save_with_step(self, runner, step, meta)
        finally:
            self.file_backend = backend
        deferred.flush(protect=[getattr(self, 'last_ckpt', None)])
    return wrapper


class _DeferredRemoval:
    """A file back-end proxy whose ``remove``/``rmtree`` wait for :meth:`flush`."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self._pending: List[Tuple[str, str]] = []

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def remove(self, path) -> None:
        self._pending.append(('remove', path))

    def rmtree(self, path) -> None:
        self._pending.append(('rmtree', path))

    def flush(self, protect: List[Optional[str]]) -> None:
        keep = {osp.abspath(str(p)) for p in protect if p}
        for method, path in self._pending:
            if osp.abspath(str(path)) not in keep:
                getattr(self._backend, method)(path)
        self._pending = []


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
