"""Cost of MADA / MADAv2's anchors: the anchor pass and k-means.

Part 1: a pool pass that turns every image into its class-wise feature vector
(``MultiAnchorScorer``'s consumer: decoder features + prediction -> C x D
vector) against a forward-only pass over the same images (the same outputs,
nothing consumed), timed alternately in the same run; goal <= 1.1x.
Part 2: scikit-learn k-means (K = 10, 20 iterations, one init, seeded) on
N x d random vectors (GTA5-sized: 25,000 x 4,864 = 19 x 256), time and peak
resident memory measured in a fresh process.

    python tools/benchmarks/mada_anchors.py [--size 256 512] [--pool 16] \
        [--vectors 25000] [--dim 4864] [--out docs/benchmarks.md]
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys

import numpy as np
import torch

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from acquisition import _Images, build_model  # noqa: E402
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402

MARK = 'mada_anchors'


def anchor_pass(model, pool, batch):
    """Seconds of a pass that keeps every image's class-wise vector, and the
    seconds spent in its consumer (vectors) within that same pass."""
    from mmada.active.anchors import class_feature_vector, prediction_at
    from mmada.active.engine import PoolPass

    spent = []

    def vector(idx, out):
        with timed(into=spent):
            pred = prediction_at(out['probs'], out['feats'].shape[1:])
            return class_feature_vector(out['feats'], pred, 19).cpu().numpy()
    with timed() as total:
        kept = PoolPass(model, batch).run(pool, ['feats', 'probs'], vector)
    assert len(kept) == len(pool)
    return total.wall, sum(t.wall for t in spent)


def forward_pass(model, pool, batch):
    """Seconds of a pass that computes the same outputs and keeps nothing."""
    from mmada.active.engine import PoolPass
    with timed() as total:
        PoolPass(model, batch).run(pool, ['feats', 'probs'], lambda i, o: None)
    return total.wall


def kmeans_child(num, dim):
    from mmada.active.anchors import kmeans_anchors
    vectors = np.random.default_rng(0).standard_normal((num, dim), dtype=np.float32)
    with timed() as t:
        anchors = kmeans_anchors(vectors, 10, seed=0, max_iter=20)
    print(json.dumps(dict(seconds=t.wall, shape=list(anchors.shape),
                          max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          vectors_mb=vectors.nbytes / 2**20)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--size', type=int, nargs=2, default=(256, 512))
    parser.add_argument('--pool', type=int, default=16)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--vectors', type=int, default=25000)
    parser.add_argument('--dim', type=int, default=19 * 256)
    parser.add_argument('--out', default=None)
    parser.add_argument('--kmeans-child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kmeans_child:
        return kmeans_child(args.vectors, args.dim)
    model = build_model()
    pool = _Images(args.pool, args.size)
    anchor_pass(model, _Images(2, args.size), 1)  # warm-up (first calls, allocator)
    rows = []
    for batch in (1, 4):
        fwd, anc, within = [], [], []
        for _ in range(args.repeats):
            fwd.append(forward_pass(model, pool, batch))
            total, consumed = anchor_pass(model, pool, batch)
            anc.append(total)
            within.append(total / (total - consumed))
        rows.append((batch, statistics.median(fwd), statistics.median(anc),
                     statistics.median(within)))
        print(f'batch {batch}: forward {rows[-1][1]:.2f} s, anchor pass {rows[-1][2]:.2f} s, '
              f'within-pass ratio {rows[-1][3]:.3f}', flush=True)
    out = subprocess.run([sys.executable, __file__, '--kmeans-child', '--vectors',
                          str(args.vectors), '--dim', str(args.dim)],
                         capture_output=True, text=True, check=True)
    km = json.loads(out.stdout.strip().splitlines()[-1])
    h, w = args.size
    lines = [
        f'<!-- {MARK}:start -->',
        '## MADA / MADAv2 anchors: the anchor pass and k-means',
        '',
        f'`python tools/benchmarks/mada_anchors.py --size {h} {w} --pool {args.pool} '
        f'--vectors {args.vectors} --dim {args.dim}`; {machine()}. The anchor pass turns '
        'every image into its class-wise decoder-feature vector (19 classes x 128-d on the '
        'DeepLab-v2 R18 tiny model); the baseline pass computes the same outputs and keeps '
        f'nothing; median of {args.repeats} alternating runs over {args.pool} images of '
        f'{h}x{w}. "Within the pass" divides the anchor pass by itself minus the time spent '
        'in its consumer, which does not depend on the load of the machine between passes.',
        '',
        '| batch | forward-only pass s | anchor pass s | anchor / forward | anchor / forward '
        'within the pass |',
        '|---:|---:|---:|---:|---:|',
    ]
    for batch, fwd, anc, within in rows:
        lines.append(f'| {batch} | {fwd:.2f} | {anc:.2f} | {anc / fwd:.2f} | {within:.3f} |')
    lines += [
        '',
        f'k-means (scikit-learn, K = 10, 20 iterations, one init) on {args.vectors} x '
        f'{args.dim} float32 vectors ({km["vectors_mb"]:.0f} MB), in a fresh process: '
        f'{km["seconds"]:.1f} s, peak RSS {km["max_rss_mb"]:.0f} MB.',
        f'<!-- {MARK}:end -->',
    ]
    section = '\n'.join(lines) + '\n'
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
