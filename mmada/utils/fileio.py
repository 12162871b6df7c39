"""Crash-safe file writes: a file is either its old or its new content.

:func:`atomic_write` writes to a temporary file in the destination's folder,
flushes and fsyncs it, renames it over the destination (``os.replace``, atomic
on POSIX file systems, NFS included) and fsyncs the folder. A process killed at
any moment leaves the old file or the new one, plus at most a temporary file
named ``.<name>.tmp-<pid>-<random>``, which :func:`remove_stale_temp_files`
deletes on the next start. :func:`atomic_path` is the same for a writer that
wants a path rather than a file object (MMEngine's checkpoint saving).

This is the one implementation: the label store, checkpoints and
``last_checkpoint`` all write through it.
"""
import contextlib
import glob
import os
import os.path as osp
import uuid
from typing import IO, Callable, Iterator, List, Optional

TEMP_INFIX = '.tmp-'


def temp_path(path: str) -> str:
    """The temporary file :func:`atomic_write` uses for ``path``.

    Args:
        path: Destination path.

    Returns:
        str: ``<folder>/.<name>.tmp-<pid>-<8 hex digits>``.
    """
    folder, name = osp.split(osp.abspath(path))
    return osp.join(folder, f'.{name}{TEMP_INFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}')


def fsync_dir(folder: str) -> None:
    """Flush a folder's entries (a rename) to disk, where the OS allows it.

    Args:
        folder: The folder.
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path to write ``path``'s new content to, renamed on success.

    The body writes the file at the yielded path by any means (e.g. a
    library's own ``save``); on a clean exit the file is fsynced and renamed
    over ``path`` and the folder fsynced; on an exception it is removed and
    ``path`` keeps its old content.

    Args:
        path: Destination path (its folder is created if missing).

    Yields:
        str: The temporary path (see :func:`temp_path`).
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.lexists(tmp):
            os.remove(tmp)
    fsync_dir(folder)


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file atomically: temporary file, flush + fsync, rename.

    Args:
        path: Destination path (its folder is created if missing).
        write: Writes the content to the binary file object it is given.
    """
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            write(f)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Args:
        path: Destination path.
        text: The new content.
    """
    atomic_write(path, lambda f: f.write(text.encode('utf-8')))


def is_temp_file(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_write`'s temporary files.

    Args:
        name: A file name or path.

    Returns:
        bool: ``True`` for ``.<name>.tmp-<pid>-<hex>``.
    """
    base = osp.basename(name)
    return base.startswith('.') and TEMP_INFIX in base[1:]


def remove_stale_temp_files(folder: str, names: Optional[List[str]] = None) -> List[str]:
    """Delete temporary files left in ``folder`` by interrupted atomic writes.

    Call it only when no other process writes into ``folder`` (at the start
    of a run, on the one writing rank).

    Args:
        folder: Folder to clean (not recursive).
        names: Only the temporary files of these destination names (glob
            patterns such as ``'iter_*.pth'``); all of them if ``None``.

    Returns:
        list[str]: The removed paths.
    """
    patterns = names or ['*']
    removed = []
    for pattern in patterns:
        for path in glob.glob(osp.join(glob.escape(folder), f'.{pattern}{TEMP_INFIX}*')):
            if is_temp_file(path) and osp.isfile(path) and path not in removed:
                os.remove(path)
                removed.append(path)
    return sorted(removed)
