"""Benchmark the streaming GlobalTopNAllocator over growing pools.

For pools of growing size, every image gets a synthetic structured score
map, ``SquareRegionUnit(k=1).greedy`` turns it into candidates and the
allocator keeps the dataset-wide top-N squares (a fixed budget N, so that
a flat memory curve means "independent of the pool size"). Reported per
pool size:

* peak Python-heap memory during the round (``tracemalloc``: it sees the
  allocator's numpy arrays, and the transient per-image greedy buffers) and
  the allocator's own retained arrays at their largest;
* time spent in ``push``/``result`` (the allocator) and in total.

The smallest pool is checked against a brute-force sort of all candidates.

Usage::

    python tools/benchmarks/global_topn_memory.py [--sizes 250 500 ...]
        [--budget 2000] [--out docs/benchmarks.md]
"""
import argparse
import math
import os.path as osp
import sys
import tracemalloc

import numpy as np
import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmada.active import GlobalTopNAllocator, SquareRegionUnit  # noqa: E402
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402

SHAPE = (64, 128)
MARK = 'global_topn_memory'


def score_map(index: int) -> torch.Tensor:
    """A structured (64, 128) score map; images differ in overall level."""
    gen = torch.Generator().manual_seed(index)
    coarse = torch.rand(1, 1, SHAPE[0] // 8, SHAPE[1] // 8, generator=gen)
    level = 0.5 + torch.rand(1, generator=gen).item()
    smooth = torch.nn.functional.interpolate(
        coarse, SHAPE, mode='bilinear', align_corners=False)[0, 0]
    return level * smooth + 0.01 * torch.rand(SHAPE, generator=gen)


def allocator_bytes(alloc: GlobalTopNAllocator) -> int:
    """Bytes of the candidate arrays the allocator currently holds."""
    kept = sum(a.nbytes for a in alloc._kept)
    buffered = sum(a.nbytes for part in alloc._buffer for a in part)
    return kept + buffered


def run_pool(size: int,
             budget: int,
             unit: SquareRegionUnit,
             use_threshold: bool = False,
             trace: bool = False,
             collect: bool = False) -> dict:
    """One round over a pool of ``size`` images; returns measurements.

    Without ``use_threshold`` every image pushes its whole greedy sequence
    (the allocator's stress test); with it, scores below the allocator's
    threshold are masked first (what a hook should do). ``trace`` measures
    the peak heap with tracemalloc (which slows Python down several times,
    so traced runs are not timed).
    """
    alloc = GlobalTopNAllocator()
    alloc.reset(budget)
    excluded = torch.zeros(SHAPE, dtype=torch.bool)
    all_candidates = []
    t_alloc = []  # Timed blocks of the allocator calls
    max_retained = pushed = 0
    if trace:
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
    with timed() as total:
        for index in range(size):
            score = score_map(index)
            if use_threshold:
                # Scores below the allocator's threshold can never be selected:
                # masking them only truncates the image's greedy sequence.
                score = score.masked_fill(score < alloc.threshold, -math.inf)
            scores, positions = unit.greedy(score, excluded, alloc.max_units())
            pushed += scores.numel()
            if collect:
                all_candidates += [(float(s), index, int(p))
                                   for s, p in zip(scores, positions)]
            with timed(into=t_alloc):
                alloc.push(index, scores, positions)
            max_retained = max(max_retained, allocator_bytes(alloc))
        with timed(into=t_alloc):
            result = alloc.result()
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    if collect:
        all_candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        expected = {}
        for _, index, pos in all_candidates[:budget]:
            expected.setdefault(index, []).append(pos)
        assert {k: v.tolist() for k, v in result.items()} == expected
    return dict(
        size=size,
        pushed=pushed,
        picks=sum(v.numel() for v in result.values()),
        images=len(result),
        peak=peak,
        retained=max_retained,
        t_alloc=sum(t.wall for t in t_alloc),
        total=total.wall)


def markdown(rows, args) -> str:
    """The results as a markdown section."""
    naive = SHAPE[0] * SHAPE[1] * 4  # one float32 score map per image
    lines = [
        f'<!-- {MARK}:start -->',
        '## Dataset-wide top-N (CBDA Dynamic Acquisition): memory and time',
        '',
        '`python tools/benchmarks/global_topn_memory.py --budget '
        f'{args.budget}`; synthetic structured {SHAPE[0]}x{SHAPE[1]} score '
        'maps, `SquareRegionUnit(k=1)` candidates, fixed budget of '
        f'{args.budget} squares; {machine()}.',
        '',
        '| pool (images) | candidates pushed | picks (images) '
        '| allocator arrays (max) | peak heap, threshold mode (tracemalloc) '
        '| all score maps stacked | allocator time | allocator / image '
        '| total (greedy + allocator) | total with threshold masking |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        lines.append(
            f'| {r["size"]} | {r["pushed"]} | {r["picks"]} ({r["images"]}) | '
            f'{r["retained"] / 2**10:.0f} KiB | {r["peak"] / 2**10:.0f} KiB | '
            f'{r["size"] * naive / 2**20:.0f} MiB | '
            f'{r["t_alloc"] * 1e3:.0f} ms | '
            f'{r["t_alloc"] / r["size"] * 1e6:.0f} us | {r["total"]:.1f} s | '
            f'{r["total_threshold"]:.1f} s |')
    lines += [
        '',
        'Every image pushes its whole greedy sequence (about '
        f'{rows[-1]["pushed"] // rows[-1]["size"]} squares); '
        'the allocator keeps only the candidates that can still be selected '
        '(at most about twice the budget, 32 bytes each), so its memory is '
        'flat in the pool size and its time per image constant (linear '
        'total). "Allocator arrays" are the exact bytes of the candidate '
        'arrays it holds, at their largest during the round. Threshold '
        'mode: once the budget is full, the allocator\'s `threshold` lets '
        'each image mask scores that can no longer be selected, which '
        'shortens its greedy sequence without changing the result (same '
        'picks); its peak heap, measured with tracemalloc in a separate '
        'untimed run, covers everything Python allocates during the round '
        '(allocator, transient greedy buffers, result). Both modes are '
        'checked against a brute-force sort of all candidates for the '
        f'{rows[0]["size"]}-image pool.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes', type=int, nargs='+', default=[250, 500, 1000, 2000, 4000])
    parser.add_argument('--budget', type=int, default=2000)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    unit = SquareRegionUnit(k=1)
    for use_threshold in (False, True):  # correctness of both modes
        run_pool(args.sizes[0], args.budget, unit, use_threshold, collect=True)
    rows = []
    for size in args.sizes:
        row = run_pool(size, args.budget, unit)
        fast = run_pool(size, args.budget, unit, use_threshold=True)
        traced = run_pool(size, args.budget, unit, True, trace=True)
        assert fast['picks'] == row['picks'] == traced['picks']
        row.update(total_threshold=fast['total'], peak=traced['peak'])
        rows.append(row)
        print(
            f'{size} images: {row["pushed"]} candidates pushed, '
            f'{row["picks"]} picks in {row["images"]} images, allocator '
            f'arrays {row["retained"] / 2**10:.0f} KiB, allocator '
            f'{row["t_alloc"] * 1e3:.0f} ms, total {row["total"]:.2f} s; '
            f'with threshold masking {fast["pushed"]} pushed, total '
            f'{fast["total"]:.2f} s, peak heap '
            f'{row["peak"] / 2**10:.0f} KiB',
            flush=True)
    section = markdown(rows, args)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    np.seterr(all='ignore')
    main()
