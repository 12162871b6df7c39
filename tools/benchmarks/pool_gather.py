"""Memory of a pool pass's gather: one vector per image of a 25,000-image pool, on gloo ranks.

MADA's anchor pass keeps one class-wise feature vector per source image
(19 classes x 256 channels = 4,864 floats for a GTA5 pool of about 25,000
images, 486 MB as float32) and clusters them on one rank. This script
simulates that pass without images or a model: every rank generates the
vectors of its shard (image ``i``'s vector is seeded by ``i``), as the pass
would hand them over one image at a time, and the table is assembled

* ``before``: as mmada did before the pool passes were made to scale: a dict
  of numpy vectors per rank, ``all_gather_object``, ``np.stack`` on every rank;
* ``after``: :class:`mmada.active.engine.PassRows` (what
  ``PoolPass.run_rows`` uses): the receiving rank writes each vector into its
  table, the others into their shard's block, gathered on rank 0 in chunks of
  tensors (:func:`mmada.utils.dist.gather_rows`).

Per rank it reports the peak resident memory the gather added (``VmHWM`` after
the pass minus ``VmRSS`` before it, the peak reset with ``/proc/self/clear_refs``)
and that peak beyond the vectors the rank must keep (rank 0: the whole table,
which k-means needs; another rank: its shard). ``--kmeans`` also measures the
k-means of the table on rank 0 (``kmeans_anchors``, K = 10).

    python tools/benchmarks/pool_gather.py [--images 25000] [--dim 4864] [--ranks 1 2]
        [--kmeans] [--methods before after] [--out docs/benchmarks.md]
"""
import argparse
import multiprocessing as mp
import os
import os.path as osp
import pickle
import sys
import tempfile

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402

MARK = 'pool_gather'
MB = 1e6


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f'no {field} in /proc/self/status')


def _reset_peak() -> None:
    """Start a new peak: ``VmHWM`` := the current RSS (Linux ``clear_refs`` 5)."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def vectors(indices, dim: int):
    """Image ``i``'s vector for each ``i`` (seeded by ``i``), one at a time."""
    import torch
    g = torch.Generator()
    for idx in indices:
        g.manual_seed(idx)
        yield idx, torch.rand(dim, generator=g)


def gather_before(indices, total: int, dim: int):
    """The old path: dict of numpy vectors, ``all_gather_object``, ``np.stack``."""
    import numpy as np
    from mmengine.dist import all_gather_object, get_dist_info
    kept = {idx: v.numpy() for idx, v in vectors(indices, dim)}
    if get_dist_info()[1] == 1:
        merged = dict(sorted(kept.items()))
    else:
        merged = {}
        for part in all_gather_object(kept):
            merged.update(part)
        merged = dict(sorted(merged.items()))
    return np.stack(list(merged.values()))


def gather_after(indices, total: int, dim: int):
    """The new path: :class:`PassRows` (table on rank 0, chunks of tensors)."""
    from mmada.active.engine import PassRows
    rows = PassRows(indices, total, dst=0)
    for idx, v in vectors(indices, dim):
        rows.put(idx, v)
    table = rows.gather()
    return None if table is None else table.numpy()


def _rank(rank: int, world: int, folder: str, method: str, total: int, dim: int,
          kmeans: bool, chunk_mb: float) -> None:
    os.environ['OMP_NUM_THREADS'] = '1'
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    reply = {}
    try:
        if world > 1:
            dist.init_process_group('gloo', init_method=f'file://{folder}/store', rank=rank,
                                    world_size=world)
        import mmada.active.engine  # noqa: F401 - imports before the baseline
        import mmada.utils.dist
        mmada.utils.dist.GATHER_CHUNK_BYTES = int(chunk_mb * 2**20)
        import numpy as np
        indices = list(range(rank, total, world))
        _reset_peak()
        base = _status('VmRSS')
        fn = gather_before if method == 'before' else gather_after
        with timed() as took:
            table = fn(indices, total, dim)
        seconds = took.wall
        peak = _status('VmHWM') - base
        keep = (total if rank == 0 else len(indices)) * dim * 4
        reply = dict(peak=peak, keep=keep, seconds=seconds,
                     checksum=None if rank != 0 else float(np.float64(table[::97]).sum()))
        if kmeans and rank == 0:
            from mmada.active.anchors import kmeans_anchors
            _reset_peak()
            base = _status('VmRSS')
            with timed() as took:
                kmeans_anchors(table, 10, 0, 20)
            reply.update(kmeans_peak=_status('VmHWM') - base, kmeans_s=took.wall)
        if world > 1:
            dist.barrier()
    except BaseException as err:  # noqa: B902 - reported by the parent
        reply = dict(error=repr(err))
    with open(osp.join(folder, f'rank{rank}'), 'wb') as f:
        pickle.dump(reply, f)
    os._exit(0)  # a gloo thread must not outlive Python (mmada.utils.dist)


def measure(method: str, world: int, total: int, dim: int, kmeans: bool,
            chunk_mb: float = 4) -> list:
    """One gather on ``world`` ranks; each rank's figures."""
    ctx = mp.get_context('spawn')
    with tempfile.TemporaryDirectory() as tmp:
        procs = [ctx.Process(target=_rank, args=(r, world, tmp, method, total, dim, kmeans,
                                                    chunk_mb))
                 for r in range(world)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        replies = []
        for r in range(world):
            with open(osp.join(tmp, f'rank{r}'), 'rb') as f:
                replies.append(pickle.load(f))
    for r, reply in enumerate(replies):
        if 'error' in reply:
            raise RuntimeError(f'{method} on {world} rank(s), rank {r}: {reply["error"]}')
    return replies


def render(rows: list, args, cmd: str) -> str:
    lines = [f'<!-- {MARK}:start -->', '## Pool pass gather: memory per rank for a large pool', '',
             f'`{cmd}`; {args.images:,} images x {args.dim:,} float32 values '
             f'({args.images * args.dim * 4 / MB:.0f} MB as a table), generated per image; '
             f'gloo ranks on the CPU; {machine()}.', '',
             '| ranks | gather | rank | peak added | must keep | beyond what it must keep | '
             'seconds |', '|---:|---|---:|---:|---:|---:|---:|']
    for world, method, replies in rows:
        for r, rep in enumerate(replies):
            lines.append(f'| {world} | {method} | {r} | {rep["peak"] / MB:.0f} MB | '
                         f'{rep["keep"] / MB:.0f} MB | **{(rep["peak"] - rep["keep"]) / MB:.0f} MB** | '
                         f'{rep["seconds"]:.1f} |')
    kms = [(w, m, rep[0]) for w, m, rep in rows if 'kmeans_peak' in rep[0]]
    lines.append('')
    lines.append('"Peak added" is the resident memory the pass and its gather added at their peak '
                 '(`VmHWM` after minus `VmRSS` before, with the peak reset first); "must keep" is '
                 'the table on rank 0 (k-means needs every vector) and the shard\'s vectors on '
                 'another rank. Before, every rank unpickled every rank\'s part and stacked the '
                 'table; after, rank 0 writes its vectors straight into the table and receives '
                 f'the others in chunks of tensors of {args.chunk_mb:g} MiB per rank, and another '
                 'rank sends its shard a chunk at a time. Both give the same table (checksums '
                 'compared). What rank 0 holds beyond its table grows with the chunk (measured '
                 'with 16 MiB chunks: 199 MB, with 4 MiB: 61 MB): gloo allocates a flat buffer '
                 'for every gather on its own thread, and the heap of that thread does not give '
                 'the freed buffers back at once.')
    for w, m, rep in kms:
        lines.append('')
        lines.append(f'k-means of the table on rank 0 (`kmeans_anchors`, K = 10, 20 iterations, '
                     f'{w} rank(s), {m}): {rep["kmeans_s"]:.1f} s, peak added '
                     f'{rep["kmeans_peak"] / MB:.0f} MB.')
    lines.append(f'<!-- {MARK}:end -->')
    return '\n'.join(lines) + '\n'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=25000)
    parser.add_argument('--dim', type=int, default=4864)
    parser.add_argument('--ranks', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--kmeans', action='store_true')
    parser.add_argument('--methods', nargs='+', default=['before', 'after'],
                        choices=['before', 'after'])
    parser.add_argument('--chunk-mb', type=float, default=4,
                        help='gather_rows chunk per rank (MiB)')
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    rows = []
    for world in args.ranks:
        for method in args.methods:
            replies = measure(method, world, args.images, args.dim,
                              args.kmeans and method == 'after' and world == 1, args.chunk_mb)
            rows.append((world, method, replies))
            print(world, method, [(round(r['peak'] / MB), round((r['peak'] - r['keep']) / MB),
                                   round(r['seconds'], 1)) for r in replies], flush=True)
        sums = {m: rep[0]['checksum'] for w, m, rep in rows if w == world}
        if len(sums) == 2 and abs(sums['before'] - sums['after']) > 1e-6 * abs(sums['before']):
            raise RuntimeError(f'the tables differ on {world} rank(s): {sums}')
    cmd = 'python tools/benchmarks/pool_gather.py ' + ' '.join(sys.argv[1:])
    section = render(rows, args, cmd.replace(' --out docs/benchmarks.md', '').strip())
    print(section)
    if args.out:
        write_section(args.out, section, MARK)
    return 0


if __name__ == '__main__':
    sys.exit(main())
