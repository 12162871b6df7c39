"""Run a function on several gloo ranks (spawned processes on the CPU) and collect results.

``run_ranks(fn, world, *args)`` starts ``world`` processes, each joins one
gloo process group (a file store in a temporary folder) and calls
``fn(rank, world, *args)``; the return values come back in rank order. An
exception on a rank is raised in the caller with that rank's traceback. The
function must be importable (a module-level function of a helper module).
"""
import multiprocessing as mp
import os
import pickle
import tempfile
import traceback
from typing import Any, Callable, List


def _rank_main(fn: Callable, rank: int, world: int, folder: str, args: tuple) -> None:
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    try:
        dist.init_process_group('gloo', init_method=f'file://{folder}/store', rank=rank,
                                world_size=world)
        reply = (True, fn(rank, world, *args))
        dist.barrier()
    except BaseException:  # noqa: B902 - reported to the caller
        reply = (False, traceback.format_exc())
    with open(os.path.join(folder, f'rank{rank}.tmp'), 'wb') as f:
        pickle.dump(reply, f)
    os.replace(os.path.join(folder, f'rank{rank}.tmp'), os.path.join(folder, f'rank{rank}'))
    os._exit(0)  # see mmada.utils.dist: a gloo thread must not outlive Python


def run_ranks(fn: Callable, world: int, *args: Any, timeout: float = 120) -> List[Any]:
    """``fn(rank, world, *args)`` on ``world`` gloo ranks; their results by rank.

    Args:
        fn: An importable function.
        world: Number of ranks.
        *args: Picklable arguments.
        timeout: Seconds to wait for every rank.

    Returns:
        list: ``fn``'s return values, rank 0 first.
    """
    ctx = mp.get_context('spawn')
    with tempfile.TemporaryDirectory() as tmp:
        procs = [ctx.Process(target=_rank_main, args=(fn, r, world, tmp, args))
                 for r in range(world)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout)
        replies, errors = [], []
        for rank, p in enumerate(procs):
            if p.is_alive():
                p.kill()
                p.join()
            path = os.path.join(tmp, f'rank{rank}')
            if not os.path.exists(path):
                errors.append(f'rank {rank} gave no result (exit code {p.exitcode})')
                continue
            with open(path, 'rb') as f:
                ok, value = pickle.load(f)
            replies.append(value)
            if not ok:
                errors.append(f'rank {rank}:\n{value}')
    if errors:
        raise AssertionError('\n'.join(errors))
    return replies
