"""Distributed helpers: gathering a pool's per-image rows in bounded chunks, and
how a command-line tool leaves a distributed run.

:func:`gather_rows` assembles a table of one row per pool image (MADA's
class-wise image vectors: 25,000 x 4,864 floats for a GTA5 source pool) on
the rank that needs it, as tensors, a bounded chunk at a time. Pickling the
rows with ``all_gather_object`` instead holds every rank's pickled part,
their unpickled copies and the stacked table on every rank at once (about
2.4 GB per rank for that pool on 2 ranks; ``tools/benchmarks/pool_gather.py``).

A tool's exit: its own exit status, never SIGABRT.

A gloo worker thread frees each finished collective (its ``AsyncWork``); a
work that holds tensors created in Python must take the GIL to free them. If
that happens after the interpreter began finalizing, Python ends the thread
with ``pthread_exit``, whose unwinding through torch's ``noexcept``
destructors calls ``std::terminate`` ("terminate called without an active
exception", SIGABRT): a run that finished, or failed with a clear message,
would end with signal 6 instead (the core dump shows ``~AsyncBarrierWork ->
~AsyncBroadcastWork -> TensorImpl::decref_pyobject -> take_gil ->
pthread_exit`` on ``ProcessGroupGloo::runLoop``). ``destroy_process_group``
does not stop those threads: the DDP wrapper keeps the group alive until exit
(torch 2.13).

So a tool's ``main`` runs under :func:`run_tool`: once the process has been
part of a process group, it leaves without finalizing the interpreter
(``os._exit``, after flushing its output, closing its log files and ending
its dataloader workers); no gloo thread can then outlive Python. Before that,
:func:`finish_distributed` lets every rank meet at a last barrier (on the
paths where every rank gets there), so rank 0, which serves the group's
store, does not leave while another rank still needs it.
"""
import ctypes
import logging
import multiprocessing
import os
import sys
import traceback
from typing import Callable, NoReturn, Optional

import torch
import torch.distributed as torch_dist
from torch import Tensor

#: Set once this process was part of an initialised process group.
_joined = False


#: Bytes of one chunk of :func:`gather_rows` per rank (the buffers a receiving
#: rank holds at once are ``world_size`` chunks).
GATHER_CHUNK_BYTES = 4 << 20


def gather_rows(rows: Tensor, indices: Tensor, total: int, dst: Optional[int] = 0,
                in_place: bool = False,
                chunk_bytes: Optional[int] = None) -> Optional[Tensor]:
    """Assemble a ``(total, d)`` table from the rows every rank holds, in chunks.

    Every rank holds the rows of some table positions (a pool pass: its
    shard's images); together they cover each position once. The table is
    assembled on rank ``dst`` (every rank when ``dst`` is ``None``) from
    chunks of at most ``chunk_bytes`` per rank, so besides the table a
    receiving rank holds ``world_size`` chunks at a time and a sending rank
    one; nothing is pickled. Positions no rank holds are zero.

    Args:
        rows: (n, d) this rank's rows, in the order of ``indices``; on a
            receiving rank with ``in_place``, the (total, d) table that
            already holds them at ``indices`` (filled and returned, no copy).
            A rank without rows may pass an empty tensor of any width.
        indices: (n,) int64 table positions of this rank's rows.
        total: Rows of the table.
        dst: The rank that receives the table; ``None``: every rank.
        in_place: See ``rows``.
        chunk_bytes: Bytes of one rank's chunk (at least one row);
            default :data:`GATHER_CHUNK_BYTES`.

    Returns:
        Tensor | None: The (total, d) table (``rows``' dtype, CPU) on a
        receiving rank, ``None`` elsewhere.
    """
    indices = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
    rank, world = _rank_world()
    receives = dst is None or rank == dst
    own = rows if not (in_place and receives) else None
    num_own = len(indices)
    if own is not None and own.numel() and own.shape[0] != num_own:
        raise ValueError(f'gather_rows: {own.shape[0]} rows for {num_own} indices')
    width, longest = _agree(rows.shape[1] if rows.dim() == 2 and num_own else 0, num_own)
    table = rows if own is None else None
    if receives and (table is None or tuple(table.shape) != (total, width)):
        table = rows.new_zeros((total, width), device='cpu')
        if num_own:
            table[indices] = (own if own is not None else rows[indices]).cpu()
    if world == 1:
        return table
    from mmengine.dist import get_comm_device
    device = get_comm_device()
    chunk_bytes = GATHER_CHUNK_BYTES if chunk_bytes is None else int(chunk_bytes)
    step = min(max(1, chunk_bytes // max(1, width * rows.element_size())), max(1, longest))
    # One set of buffers for every chunk: allocating them anew per chunk left
    # the previous chunk's buffers alive during the next collective.
    block = rows.new_zeros((step, width), device=device)
    where = torch.empty((step, ), dtype=torch.int64, device=device)
    blocks = [torch.empty_like(block) for _ in range(world)] if receives else None
    wheres = [torch.empty_like(where) for _ in range(world)] if receives else None
    for start in range(0, longest, step):
        where.fill_(-1)
        if start < num_own and not (rank == dst and own is None):  # dst has its own rows
            at = indices[start:start + step]
            block[:len(at)] = own[start:start + step] if own is not None else table[at]
            where[:len(at)] = at
        _collect(block, blocks, dst)
        _collect(where, wheres, dst)
        for got, at in zip(blocks or [], wheres or []):  # a chunk's rows come first
            num = int((at >= 0).sum())
            table[at[:num].cpu()] = got[:num].cpu()
    return table if receives else None


def _rank_world():
    """(rank, world size) of the default group ((0, 1) outside one)."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_rank(), torch_dist.get_world_size()
    return 0, 1


def _agree(width: int, count: int):
    """Every rank's (row width, most rows of one rank); widths must match."""
    rank, world = _rank_world()
    if world == 1:
        return width, count
    from mmengine.dist import get_comm_device
    mine = torch.tensor([width, -width if width else -(1 << 62), count], device=get_comm_device())
    torch_dist.all_reduce(mine, op=torch_dist.ReduceOp.MAX)
    widest, narrowest = int(mine[0]), -int(mine[1])
    if widest != narrowest and narrowest != (1 << 62):
        raise ValueError(f'gather_rows: the ranks hold rows of {narrowest} and {widest} values '
                         '(every rank must run the same model on the same label space)')
    return widest, int(mine[2])


def _collect(tensor: Tensor, out: Optional[list], dst: Optional[int]) -> None:
    """Every rank's ``tensor`` into ``out`` on ``dst`` (on all ranks when ``None``)."""
    if dst is None:
        torch_dist.all_gather(out, tensor)
    else:
        torch_dist.gather(tensor, out, dst)


def finish_distributed(synchronize: bool = True) -> None:
    """Leave the default process group (every rank first meets at a barrier).

    The last barrier's work is kept alive until the process ends: the gloo
    thread that ran it only drops its own reference, so no work with Python
    tensors is freed on a gloo thread afterwards even where a process does
    finalize normally. Nothing may use the group after this call.

    Args:
        synchronize: Wait for every rank first (only when all ranks get
            here; after an error on one rank, a barrier would hang).
    """
    global _joined
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    _joined = True
    if synchronize:
        work = torch_dist.barrier(async_op=True)
        work.wait()
        _keep_until_exit(work)
    torch_dist.destroy_process_group()


def run_tool(main: Callable[[], int]) -> NoReturn:
    """Run a tool's ``main`` and exit with its status (never SIGABRT).

    An exception that escapes ``main`` is printed as Python would print it
    and the status is 1 (a :class:`SystemExit` keeps its code, Ctrl-C gives
    130). A process that was part of a process group leaves the group
    without waiting for the other ranks (one of them may have failed) and
    exits without finalizing the interpreter; any other process exits
    normally.

    Args:
        main: The tool's entry point; returns the exit status.
    """
    try:
        code = main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 130
    except BaseException:  # noqa: B902 - the tool's status, whatever failed
        traceback.print_exc()
        code = 1
    finish_distributed(synchronize=False)  # a no-op where main left the group
    code = int(code or 0)
    if not _joined:
        sys.exit(code)
    _hard_exit(code)


def _hard_exit(code: int) -> NoReturn:
    """Flush what the process wrote, end its worker processes, ``os._exit``.

    Args:
        code: The exit status.
    """
    logging.shutdown()  # MMEngine's log files
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    for child in multiprocessing.active_children():  # dataloader workers
        child.terminate()
        child.join(timeout=5)
    os._exit(code)


def _keep_until_exit(obj: object) -> None:
    """Give ``obj`` one reference that is never dropped, not even at exit.

    A module-level list would not do: Python clears modules while it
    finalizes, and the last release would again be on whichever thread
    comes last.

    Args:
        obj: The object to keep alive for the life of the process.
    """
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
