"""How a command-line tool leaves a distributed run: its own exit status, never SIGABRT.

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
from typing import Callable, NoReturn

import torch.distributed as torch_dist

#: Set once this process was part of an initialised process group.
_joined = False


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
