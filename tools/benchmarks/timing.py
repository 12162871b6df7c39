"""Timed blocks for the benchmark scripts: one way to time, for all of them.

Every script measures wall time (``time.perf_counter``) and, where other
processes share the machine, the process CPU time (``time.process_time``:
the work done by this process, independent of the load) with the helpers
here, and reports medians of several runs (ratios against a baseline timed
in the same run).

* :func:`timed`: a block, ``with timed() as t: ...`` then ``t.wall``,
  ``t.cpu``; ``timed(into=list)`` appends the result, for per-item parts of
  a loop;
* :func:`repeat`: ``fn()`` ``iters`` times (an optional untimed ``setup``
  before each), its wall and CPU seconds and last result;
* :func:`median_seconds`: the medians of :func:`repeat`;
* :func:`interleaved`: several functions in turns (A B C A B C ...), so a
  change of machine load hits all of them alike.
"""
import contextlib
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple


@dataclass
class Timed:
    """Seconds one block took: ``wall`` (elapsed) and ``cpu`` (this process)."""
    wall: float = 0.0
    cpu: float = 0.0


@contextlib.contextmanager
def timed(into: Optional[List[Timed]] = None) -> Iterator[Timed]:
    """Time the ``with`` block.

    Args:
        into: A list the block's :class:`Timed` is appended to.

    Yields:
        Timed: Filled in when the block ends (also when it raises).
    """
    result = Timed()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.wall = time.perf_counter() - start
        result.cpu = time.process_time() - start_cpu
        if into is not None:
            into.append(result)


def repeat(fn: Callable, iters: int,
           setup: Optional[Callable[[], Any]] = None) -> Tuple[List[float], List[float], Any]:
    """Call ``fn`` ``iters`` times, each call timed.

    Args:
        fn: Called as ``fn()``, or ``fn(setup())`` when ``setup`` is given.
        iters: Number of timed calls.
        setup: Prepares each call's argument, outside the timed block (e.g.
            a fresh batch).

    Returns:
        tuple: Wall seconds per call, CPU seconds per call, the last result.
    """
    wall, cpu, result = [], [], None
    for _ in range(iters):
        args = () if setup is None else (setup(), )
        with timed() as t:
            result = fn(*args)
        wall.append(t.wall)
        cpu.append(t.cpu)
    return wall, cpu, result


def median_seconds(fn: Callable, iters: int,
                   setup: Optional[Callable[[], Any]] = None) -> Tuple[float, float]:
    """Median wall and CPU seconds of :func:`repeat`.

    Args:
        fn: See :func:`repeat`.
        iters: Number of timed calls.
        setup: See :func:`repeat`.

    Returns:
        tuple: (median wall seconds, median CPU seconds).
    """
    wall, cpu, _ = repeat(fn, iters, setup)
    return statistics.median(wall), statistics.median(cpu)


def interleaved(fns: Dict[str, Callable[[], Any]], iters: int,
                clock: str = 'wall') -> Dict[str, List[float]]:
    """Time several functions in turns, ``iters`` rounds.

    Args:
        fns: Name -> function called without arguments.
        iters: Rounds; each calls every function once, in order.
        clock: ``'wall'`` or ``'cpu'``.

    Returns:
        dict: Name -> seconds per call.
    """
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            with timed() as t:
                fn()
            times[name].append(getattr(t, clock))
    return times
