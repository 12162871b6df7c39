"""Benchmark RIPU's RA / PA selection against a naive greedy reference.

On a 19-class 1024x2048 random-but-structured softmax map (Cityscapes label
resolution), times in the same run:

* scoring: ``RIPUScorer`` (RA: k=1, region mode; PA: k=32, pixel mode);
* selection with mmada's units (``SquareRegionUnit(k=1)``,
  ``PixelUnit(suppress_k=32)``) against a naive reference written here:
  ``argmax`` over the whole map, take, suppress, repeat;

asserts that both select exactly the same units in the same order, and
reports medians and speed-ups. Budgets: RA 2.2 % over 5 rounds -> one
round's squares per image (1026); PA 40 px per image at 1280x640 mapped to
1024x2048 (102, all at once as in the brief; and one of 5 rounds, 20).

Usage::

    python tools/benchmarks/ripu_selection.py [--repeats 5] [--threads 1]
        [--out docs/benchmarks.md]
"""
import argparse
import math
import os.path as osp
import statistics
import sys

import numpy as np
import torch

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmada.active import (  # noqa: E402
    Budget,
    PixelUnit,
    RIPUScorer,
    SquareRegionUnit,
    pixels_per_image)
from mmada.active.base import ImageContext  # noqa: E402

from report import machine, write_section  # noqa: E402
from timing import repeat  # noqa: E402

SHAPE = (1024, 2048)
NUM_CLASSES = 19
MARK = 'ripu_selection'


def structured_probs(seed: int = 0) -> torch.Tensor:
    """A (19, 1024, 2048) softmax map with blobs, edges and noise.

    Smooth class logits at two scales (32 and 8 pixels) plus a little pixel
    noise: large uniform areas, class boundaries of every shape and
    uncertain transition zones, like a segmentation network's output.
    """
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.randn(
        1, NUM_CLASSES, SHAPE[0] // 32, SHAPE[1] // 32, generator=gen) * 4
    fine = torch.randn(
        1, NUM_CLASSES, SHAPE[0] // 8, SHAPE[1] // 8, generator=gen)
    logits = torch.nn.functional.interpolate(
        coarse, SHAPE, mode='bilinear', align_corners=False)
    logits += torch.nn.functional.interpolate(
        fine, SHAPE, mode='bilinear', align_corners=False)
    logits += 0.1 * torch.randn(1, NUM_CLASSES, *SHAPE, generator=gen)
    return logits[0].softmax(dim=0).contiguous()


def naive_greedy(score: torch.Tensor,
                 excluded: torch.Tensor,
                 max_units: int,
                 radius: int,
                 argmax: str = 'torch'):
    """Reference: argmax over the whole map, take, suppress, repeat."""
    work = score.clone()
    work[excluded] = -math.inf
    flat = work.view(-1)
    flat_np = flat.numpy()  # shares memory with ``work``
    width = work.shape[1]
    values, positions = [], []
    for _ in range(max_units):
        pos = int(flat.argmax()) if argmax == 'torch' else int(
            flat_np.argmax())
        value = float(flat_np[pos])
        if value == -math.inf:
            break
        values.append(value)
        positions.append(pos)
        y, x = divmod(pos, width)
        work[max(0, y - radius):y + radius + 1,
             max(0, x - radius):x + radius + 1] = -math.inf
    return values, positions


def median_min(fn, repeats: int):
    """Median and minimum wall time (s) of ``fn`` and its last result."""
    times, _, result = repeat(fn, repeats)
    return statistics.median(times), min(times), result


def bench_case(name, scorer, unit, radius, max_units, probs, repeats,
               naive_repeats):
    """Time scoring, selection and the naive references of one case."""
    ctx = ImageContext(0, torch.zeros(SHAPE, dtype=torch.bool),
                       torch.Generator().manual_seed(0))
    t_score, _, score = median_min(lambda: scorer(probs, ctx), repeats)
    excluded = torch.zeros(SHAPE, dtype=torch.bool)
    t_fast, t_fast_min, (values, positions) = median_min(
        lambda: unit.greedy(score, excluded, max_units), repeats)
    t_naive, _, (ref_values, ref_positions) = median_min(
        lambda: naive_greedy(score, excluded, max_units, radius),
        naive_repeats)
    t_naive_np, _, (_, np_positions) = median_min(
        lambda: naive_greedy(score, excluded, max_units, radius, 'numpy'),
        naive_repeats)
    assert positions.tolist() == ref_positions == np_positions, name
    assert values.tolist() == ref_values, name
    return dict(
        name=name,
        units=len(ref_positions),
        score=t_score,
        fast=t_fast,
        fast_min=t_fast_min,
        naive=t_naive,
        naive_np=t_naive_np)


def markdown(rows, args) -> str:
    """The results as a markdown section."""
    lines = [
        f'<!-- {MARK}:start -->',
        '## RIPU selection: block-max greedy vs naive greedy',
        '',
        f'`python tools/benchmarks/ripu_selection.py --repeats {args.repeats}'
        f' --threads {args.threads}`; 19-class {SHAPE[0]}x{SHAPE[1]} '
        'structured softmax map; one image; '
        f'{machine()}. Times are medians '
        f'of {args.repeats} runs (naive: {args.naive_repeats}), both timed in '
        'the same process.',
        '',
        '| case | units | scoring | mmada selection (min) '
        '| naive (torch argmax) | speed-up | naive (numpy argmax) '
        '| speed-up |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        lines.append(
            f'| {r["name"]} | {r["units"]} | {r["score"] * 1e3:.0f} ms | '
            f'{r["fast"] * 1e3:.1f} ms ({r["fast_min"] * 1e3:.1f}) | '
            f'{r["naive"] * 1e3:.0f} ms | '
            f'**{r["naive"] / r["fast"]:.0f}x** | '
            f'{r["naive_np"] * 1e3:.0f} ms | '
            f'{r["naive_np"] / r["fast"]:.1f}x |')
    lines += [
        '',
        'Both selections are asserted identical (same units, same order). '
        'The naive reference takes `argmax` over the whole map for every '
        'pick, like the authors\' code (which uses a two-step `torch.max`, '
        'itself ~4x slower than a flat `argmax` on this CPU); '
        'mmada keeps the maxima of 32x32 tiles and, after each pick, '
        'recomputes only the tiles the suppressed square touches, so a pick '
        'costs O(tiles + (2r+1+64)^2) instead of O(H W). On this CPU '
        '`torch.argmax` over 2M floats is about 10x slower than numpy\'s, '
        'so the numpy column is the stricter comparison. Scoring (box filters '
        'with cumulative sums) costs the same for k=1 and k=32.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--naive-repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    probs = structured_probs()
    ra_units = Budget('ratio', 0.022, 5).units_per_image(SHAPE, SquareRegionUnit(k=1), 1)
    pa_units = pixels_per_image(40, (640, 1280), SHAPE)
    pa_round_units = pixels_per_image(40, (640, 1280), SHAPE, num_rounds=5)
    cases = [
        ('RA k=1, 2.2%/5 rounds (one round)', RIPUScorer(k=1, mode='region'),
         SquareRegionUnit(k=1), 2, ra_units),
        ('PA k=32, 40 px @1280x640 (all)', RIPUScorer(k=32, mode='pixel'),
         PixelUnit(suppress_k=32), 32, pa_units),
        ('PA k=32, 40 px @1280x640 (one of 5 rounds)',
         RIPUScorer(k=32, mode='pixel'), PixelUnit(suppress_k=32), 32,
         pa_round_units),
    ]
    rows = []
    for name, scorer, unit, radius, units in cases:
        row = bench_case(name, scorer, unit, radius, units, probs,
                         args.repeats, args.naive_repeats)
        rows.append(row)
        print(
            f'{name}: {row["units"]} units, scoring {row["score"]:.3f} s, '
            f'mmada {row["fast"] * 1e3:.1f} ms (min '
            f'{row["fast_min"] * 1e3:.1f}), naive torch '
            f'{row["naive"] * 1e3:.0f} ms ({row["naive"] / row["fast"]:.0f}x)'
            f', naive numpy {row["naive_np"] * 1e3:.0f} ms '
            f'({row["naive_np"] / row["fast"]:.1f}x)',
            flush=True)
    section = markdown(rows, args)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    np.seterr(all='ignore')
    main()
