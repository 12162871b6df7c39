"""Read path of the label store versus decoding a dense label PNG.

A dataloader worker reads the acquired labels of every image it loads
(``LabelStore.read``: one small cache file, densified). This times that read
against what an ordinary supervised dataset pays per image for its ground
truth (mmseg's ``LoadAnnotations``: the PNG's bytes through
``mmengine.fileio.get`` and ``mmcv.imfrombytes(backend='pillow')``), for a
store after 5 RIPU-like rounds (3x3 squares, 2.2% of the pixels in total,
squares excluded), on the same label map and in the same run. The read
without a cache (rebuilt from the 5 round files, the fallback when a cache
file is missing) is shown for scale. A block calls the methods in turn
``--iters`` times (a median per method); ratios are medians over blocks.

    python tools/benchmarks/label_store.py [--repeats 9 --iters 20]
        [--out docs/benchmarks.md]
"""
import argparse
import math
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Tuple

import mmcv
import numpy as np
from mmengine.fileio import get

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmada.active.label_store import LabelStore, RoundUpdate  # noqa: E402

sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402

MARK = 'label_store'
NUM_CLASSES = 19
ROUNDS = 5
RATIO = 0.022  # RIPU RA 2.2%, spread over ROUNDS rounds
KEY = 'city/img_0001.png'


def square_round(rng: np.random.Generator, shape: Tuple[int, int],
                 taken: np.ndarray) -> np.ndarray:
    """Flat pixels of one round's 3x3 squares that no earlier round took."""
    h, w = shape
    n = math.ceil(h * w * RATIO / ROUNDS / 9)
    ys = rng.integers(1, h - 1, n)
    xs = rng.integers(1, w - 1, n)
    dy, dx = np.meshgrid(np.arange(-1, 2), np.arange(-1, 2), indexing='ij')
    pixels = ((ys[:, None] + dy.reshape(-1)) * w +
              (xs[:, None] + dx.reshape(-1))).reshape(-1)
    pixels = np.unique(pixels)
    return pixels[~taken[pixels]]


def build_store(root: str, shape: Tuple[int, int]) -> np.ndarray:
    """A store with ROUNDS rounds for KEY; returns the dense label map."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, NUM_CLASSES, shape, dtype=np.uint8)
    store = LabelStore(root, NUM_CLASSES)
    taken = np.zeros(shape[0] * shape[1], dtype=bool)
    for r in range(1, ROUNDS + 1):
        pixels = square_round(rng, shape, taken)
        taken[pixels] = True
        store.commit_round(r, {
            KEY: RoundUpdate(shape, pixels, truth.reshape(-1)[pixels],
                             pixels)
        })
    labels = np.full(shape[0] * shape[1], 255, dtype=np.uint8)
    labels[taken] = truth.reshape(-1)[taken]
    return labels.reshape(shape)


def methods(root: str, shape: Tuple[int, int],
            png: str) -> Dict[str, Callable[[], np.ndarray]]:
    """name -> a function returning the (H, W) label map of KEY."""
    reader = LabelStore(root)  # like a dataloader worker
    reader.read(KEY, shape)  # parse the manifest once

    def read_png() -> np.ndarray:
        return mmcv.imfrombytes(get(png), flag='unchanged', backend='pillow')

    def read_store() -> np.ndarray:
        return reader.read(KEY, shape).labels

    def replay() -> np.ndarray:
        # The fallback of a missing cache file (LabelStore._read_state).
        state = reader._replay([KEY], reader._refresh())[KEY]
        return state.densify(reader.ignore_index).labels

    return dict(png=read_png, read=read_store, replay=replay)


def time_block(fns: Dict[str, Callable[[], np.ndarray]],
               iters: int) -> Dict[str, float]:
    """Median seconds per call of each function over ``iters`` rounds, the
    functions called in turn so that machine noise hits all of them."""
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def bench_shape(shape: Tuple[int, int], args: argparse.Namespace) -> dict:
    """Time the three reads of one image size; check they agree."""
    with tempfile.TemporaryDirectory() as tmp:
        root = osp.join(tmp, 'active_labels')
        labels = build_store(root, shape)
        png = osp.join(tmp, 'label.png')
        mmcv.imwrite(labels, png)
        fns = methods(root, shape, png)
        for fn in fns.values():  # warm-up and agreement
            np.testing.assert_array_equal(fn(), labels)
        blocks: Dict[str, List[float]] = {name: [] for name in fns}
        for _ in range(args.repeats):
            for name, median in time_block(fns, args.iters).items():
                blocks[name].append(median)
        labelled = int((labels != 255).sum())
    ratios = {
        name: [t / b for t, b in zip(blocks[name], blocks['png'])]
        for name in ('read', 'replay')
    }
    return dict(shape=shape, labelled=labelled, blocks=blocks, ratios=ratios)


def markdown(rows: List[dict], args: argparse.Namespace) -> str:
    """The results as a ``docs/benchmarks.md`` section."""
    med = statistics.median
    lines = [
        f'<!-- {MARK}:start -->',
        '## Label store read path (what a dataloader worker pays per image)',
        '',
        f'`python tools/benchmarks/label_store.py --repeats {args.repeats} '
        f'--iters {args.iters}`; one image after {ROUNDS} rounds of 3x3 '
        f'squares ({RATIO:.1%} of the pixels in total, squares excluded), '
        f'{NUM_CLASSES} classes; {machine()}. Baseline: decoding the same '
        'label map from a PNG as mmseg\'s `LoadAnnotations` does (pillow), '
        'timed in the same run; a block calls the three reads in turn '
        f'{args.iters} times and gives a median per read, ratios are medians '
        f'over {args.repeats} blocks.',
        '',
        '| label map | labelled px | PNG decode (baseline) | `LabelStore.read` '
        '| read / PNG | no cache: replay of 5 round files | replay / PNG |',
        '|---|---:|---:|---:|---:|---:|---:|',
    ]
    for r in rows:
        b = r['blocks']
        lines.append(
            f'| {r["shape"][0]}x{r["shape"][1]} | {r["labelled"]} | '
            f'{1e3 * med(b["png"]):.2f} ms | {1e3 * med(b["read"]):.2f} ms | '
            f'**{med(r["ratios"]["read"]):.2f}** | '
            f'{1e3 * med(b["replay"]):.2f} ms | '
            f'{med(r["ratios"]["replay"]):.2f} |')
    spread = ', '.join(f'{x:.2f}' for x in rows[-1]['ratios']['read'])
    lines += [
        '',
        'A read opens one cache file (sorted flat indices, labels and rounds '
        'of the labelled pixels, a packed exclusion bitmap) and densifies '
        'it; the manifest is re-parsed only when it changed '
        '(`tests/test_active/test_label_store.py` counts the files a read '
        'opens). Read / PNG per block for the largest map: '
        f'{spread}.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument(
        '--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    rows = [bench_shape(shape, args) for shape in ((512, 1024), (1024, 2048))]
    section = markdown(rows, args)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
