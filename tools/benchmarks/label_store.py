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

Commit cost: ADA-MCU's online acquisition commits a round every few
iterations, so a store grows to hundreds of rounds. This times
``commit_round`` (2 images x 64 new pixels) after 10, 100 and 400 rounds,
against the same commit preceded by ``verify()`` (re-hashing every earlier
round file, which is what a commit did before), alternating the two in the
same run; CPU time of the process (the fsyncs' waits, which dominate the
wall time on a busy disk, are the same for both); ``--commits`` pairs per
point, medians.

    python tools/benchmarks/label_store.py [--repeats 9 --iters 20
        --commits 9] [--only read|commit] [--out docs/benchmarks.md]
"""
import argparse
import math
import os.path as osp
import statistics
import sys
import tempfile
from typing import Callable, Dict, List, Tuple

import mmcv
import numpy as np
from mmengine.fileio import get

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmada.active.label_store import LabelStore, RoundUpdate  # noqa: E402

sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import interleaved, timed  # noqa: E402

MARK = 'label_store'
COMMIT_MARK = 'label_store_commit'
NUM_CLASSES = 19
ROUNDS = 5
RATIO = 0.022  # RIPU RA 2.2%, spread over ROUNDS rounds
KEY = 'city/img_0001.png'
COMMIT_ROUNDS = (10, 100, 400)  # store sizes at which a commit is timed
COMMIT_SHAPE = (512, 1024)
COMMIT_PIXELS = 64  # per image and commit, 2 images


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
    return {name: statistics.median(t) for name, t in interleaved(fns, iters).items()}


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


def bench_commits(args: argparse.Namespace) -> List[dict]:
    """Seconds per commit at each of COMMIT_ROUNDS, with and without a full
    ``verify()`` first (the commit's previous behaviour)."""
    rng = np.random.default_rng(0)
    size = COMMIT_SHAPE[0] * COMMIT_SHAPE[1]
    order = {key: iter(rng.permutation(size)) for key in ('a.png', 'b.png')}

    def commit(store: LabelStore, verify_first: bool) -> float:
        updates = {}
        for key, left in order.items():
            pixels = np.array([next(left) for _ in range(COMMIT_PIXELS)])
            updates[key] = RoundUpdate(COMMIT_SHAPE, pixels, pixels % NUM_CLASSES)
        with timed() as t:  # CPU seconds: fsync waits are not the point
            if verify_first:
                store.verify()
            store.commit_round(store.current_round + 1, updates)
        return t.cpu

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = LabelStore(osp.join(tmp, 'active_labels'), NUM_CLASSES)
        for target in COMMIT_ROUNDS:
            while store.current_round < target:
                commit(store, False)
            now, before = [], []
            for _ in range(args.commits):
                now.append(commit(store, False))
                before.append(commit(store, True))
            rows.append(dict(rounds=target, now=now, before=before))
    return rows


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


def commit_markdown(commits: List[dict], args: argparse.Namespace) -> str:
    """The commit-cost results as a ``docs/benchmarks.md`` section."""
    med = statistics.median
    lines = [
        f'<!-- {COMMIT_MARK}:start -->',
        '## Label store commit cost (what each acquisition round pays as the store grows)',
        '',
        f'`python tools/benchmarks/label_store.py --only commit --commits {args.commits}`; {machine()}. One '
        f'`commit_round` of 2 images x {COMMIT_PIXELS} new pixels '
        f'({COMMIT_SHAPE[0]}x{COMMIT_SHAPE[1]} maps, as ADA-MCU\'s online '
        'acquisition commits every few iterations), against the same commit '
        'preceded by `verify()`, which re-hashes every earlier round file as '
        'a commit did before; the two alternate in the same run, CPU time of '
        'the process (not the fsync waits, equal for both), medians. A '
        'commit now hashes only the round file it writes (earlier files are '
        'checked by existence, inode, size and mtime; a store object hashes '
        'each earlier round once, at its first commit; `restore` and '
        '`verify` hash all), and `tests/test_active/test_label_store.py` '
        'counts the files a commit hashes. What still grows with the rounds '
        'is the manifest (one record per round) that a commit rewrites.',
        '',
        '| earlier rounds | commit (CPU) | commit + full verify (before) | '
        'before / now |',
        '|---:|---:|---:|---:|',
    ]
    for c in commits:
        now, before = med(c['now']), med(c['before'])
        lines.append(f'| {c["rounds"]} | {1e3 * now:.2f} ms | '
                     f'{1e3 * before:.2f} ms | **{before / now:.2f}** |')
    lines.append(f'<!-- {COMMIT_MARK}:end -->')
    return '\n'.join(lines) + '\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--commits', type=int, default=9,
                        help='timed commit pairs per store size')
    parser.add_argument('--only', choices=['read', 'commit'], default=None,
                        help='run one of the two benchmarks (default: both)')
    parser.add_argument(
        '--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    sections = []
    if args.only in (None, 'read'):
        rows = [bench_shape(shape, args) for shape in ((512, 1024), (1024, 2048))]
        sections.append((markdown(rows, args), MARK))
    if args.only in (None, 'commit'):
        sections.append((commit_markdown(bench_commits(args), args), COMMIT_MARK))
    for section, mark in sections:
        print(section)
        if args.out:
            write_section(args.out, section, mark)


if __name__ == '__main__':
    main()
