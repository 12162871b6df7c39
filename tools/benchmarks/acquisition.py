"""Cost of an acquisition round: scoring + selection versus the forward pass.

Part 1 (per image, the previous hook's loop): for each image of a pool, the
segmentor's forward pass (inference + upsampling + softmax, one image at a
time, probabilities moved to the CPU) is timed separately from scoring +
greedy selection + allocation, for several scorers/units.
Part 2 (the round engine, ``mmada.active.engine``): whole rounds through
``AcquisitionRound`` (named outputs on the model's device, batches of 1 and 4)
against a forward-only pool pass over the same images at the same batch size,
timed in the same run; RIPU RA, CBDA and a feature scorer.
Part 3 (memory): a whole engine round over pools of growing size runs in a
fresh process each, and its peak resident memory is reported; goal: flat in
the pool size (one batch's maps at a time, only the budget's worth of
candidates).

    python tools/benchmarks/acquisition.py [--size 256 512] [--pool 20] [--out docs/benchmarks.md]
"""
import argparse
import json
import logging
import math
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys

import torch

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402

MARK = 'acquisition'

PIECES = {
    'random + 3x3 regions': (dict(type='RandomScorer'), dict(type='SquareRegionUnit', k=1)),
    'entropy + 3x3 regions': (dict(type='EntropyScorer'), dict(type='SquareRegionUnit', k=1)),
    'RIPU RA (k=1)': (dict(type='RIPUScorer', k=1), dict(type='SquareRegionUnit', k=1)),
    'RIPU PA (k=32)': (dict(type='RIPUScorer', k=32, mode='pixel'),
                       dict(type='PixelUnit', suppress_k=32)),
    'CBDA (RIPU k=1, global)': (dict(type='ClassBalancedScorer',
                                     scorer=dict(type='RIPUScorer', k=1)),
                                dict(type='SquareRegionUnit', k=1)),
}


def build_model():
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope

    from mmada.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    MMLogger.get_current_instance().setLevel(logging.WARNING)  # no per-parameter init log
    model.init_weights()
    return model.eval()


def forward(model, img):
    """(C, H, W) softmax at input resolution, as ActiveLearningHook does."""
    from mmseg.structures import SegDataSample
    h, w = img.shape[-2:]
    sample = SegDataSample()
    sample.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    pred = model.test_step(dict(inputs=[img], data_samples=[sample]))[0]
    return pred.seg_logits.data.float().softmax(0)


def run_round(model, pool, size, scorer_cfg, unit_cfg, global_alloc, seed=0):
    """One round over a generated pool; returns per-image times."""
    from mmada.active.allocators import GlobalTopNAllocator, PerImageAllocator
    from mmada.active.base import ImageContext, RoundInfo
    from mmada.registry import SCORERS, UNITS
    import mmada.active  # noqa: F401
    h, w = size
    scorer, unit = SCORERS.build(scorer_cfg), UNITS.build(unit_cfg)
    units = max(1, round(h * w * 0.022 / 5 / 9))
    scorer.prepare_round(RoundInfo(1, 5, 19, pool * h * w, 0.022,
                                   torch.zeros(19, dtype=torch.long)))
    alloc = GlobalTopNAllocator() if global_alloc else PerImageAllocator()
    alloc.reset(units * pool if global_alloc else units)
    g = torch.Generator().manual_seed(seed)
    t_fwd, t_sel = [], []
    for i in range(pool):
        img = torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8)
        with timed() as fwd, torch.no_grad():
            probs = forward(model, img)
        with timed() as sel:
            ctx = ImageContext(i, torch.zeros(h, w, dtype=torch.bool),
                               torch.Generator().manual_seed(i))
            score = scorer(probs, ctx)
            if global_alloc and alloc.threshold > -math.inf:
                # As ActiveLearningHook: scores below the dataset-wide cut can never
                # be picked, so they are masked before the greedy pass.
                score = score.masked_fill(score < alloc.threshold, -math.inf)
            scores, pos = unit.greedy(score, torch.zeros(h, w, dtype=torch.bool), alloc.max_units())
            alloc.push(i, scores, pos, costs=unit.cost(pos, (h, w)))
        t_fwd.append(fwd.wall)
        t_sel.append(sel.wall)
    alloc.result()
    return t_fwd, t_sel


class FeatureNormScorer:
    """A feature scorer for the benchmark: L2 norm of the decoder features,
    upsampled (nearest) to label resolution."""
    inputs = ('feats', 'probs')

    def prepare_round(self, info):
        pass

    def __call__(self, feats, probs, ctx):
        norm = feats.pow(2).sum(0).sqrt()[None, None]
        return torch.nn.functional.interpolate(norm, size=probs.shape[1:], mode='nearest')[0, 0]

    def state_dict(self):
        return {}


class _Images:
    """A target pool of random images (what the engine needs of a dataset)."""
    name = 'target'

    def __init__(self, num, size, seed=0):
        self.num, self.size, self.seed = num, tuple(size), seed
        self.dataset = self
        self.metainfo = dict(classes=tuple(f'c{i}' for i in range(19)))

    def __len__(self):
        return self.num

    def key(self, idx):
        return f'img_{idx:05d}.png'

    img_path = key

    def shapes(self):
        return [self.size] * self.num

    def sample(self, idx):
        from mmseg.structures import SegDataSample
        g = torch.Generator().manual_seed(self.seed * 100003 + idx)
        img = torch.randint(0, 255, (3, ) + self.size, generator=g, dtype=torch.uint8)
        ds = SegDataSample()
        ds.set_metainfo(dict(img_shape=self.size, ori_shape=self.size, pad_shape=self.size))
        return dict(inputs=img, data_samples=ds)


ENGINE_PIECES = {
    'RIPU RA (k=1)': (dict(type='RIPUScorer', k=1), dict(type='SquareRegionUnit', k=1),
                      'PerImageAllocator'),
    'CBDA (RIPU k=1, global)': (dict(type='ClassBalancedScorer', scorer=dict(type='RIPUScorer', k=1)),
                                dict(type='SquareRegionUnit', k=1), 'GlobalTopNAllocator'),
    'feature scorer (decoder feats)': (FeatureNormScorer, dict(type='SquareRegionUnit', k=1),
                                       'PerImageAllocator'),
}
#: Rows run again with the scoring on torch's own thread count
#: (``AcquisitionRound(score_threads=None)``, how rounds ran before issue 9).
ALL_THREADS = ('RIPU RA (k=1)', 'CBDA (RIPU k=1, global)')


def engine_round(model, pool, pieces, batch_size, store_dir, score_threads=1):
    """Seconds of one engine round (scoring + selection, no oracle), and the
    seconds spent scoring + selecting within it (the pass's consumer)."""
    from mmada.active.budget import Budget
    from mmada.active.engine import AcquisitionRound, PoolPass
    from mmada.active.label_store import LabelStore
    from mmada.registry import UNITS
    scorer_cfg, unit_cfg, allocator = pieces
    scorer = make_scorer(scorer_cfg)
    engine = AcquisitionRound(scorer, UNITS.build(unit_cfg), dict(type=allocator), None,
                              Budget('ratio', 0.022, 5), batch_size=batch_size,
                              score_threads=score_threads)
    store = LabelStore(store_dir, num_classes=19)
    scorer.prepare_round(engine.round_info(pool, store, 1))
    spent = []

    class TimedPass(PoolPass):
        def run(self, pool, names, consume, indices=None, title=''):
            def timed_consume(idx, out):
                with timed(into=spent):
                    return consume(idx, out)
            return super().run(pool, names, timed_consume, indices, title)

    with timed() as total:
        allocator_, _ = engine._score_shard(TimedPass(model, batch_size), pool, store, 1)
        allocator_.result()
    return total.wall, sum(t.wall for t in spent)


def forward_pass(model, pool, batch_size, names=('probs', )):
    """Seconds of a pool pass that only computes the outputs."""
    from mmada.active.engine import PoolPass
    with timed() as t:
        PoolPass(model, batch_size).run(pool, names, lambda i, o: None)
    return t.wall


def engine_rows(model, size, pool_size, repeats, store_dir, before_batches=(1, 4)):
    """(name, batch, forward s, round s, selection / forward within the round)
    medians over ``repeats`` alternations."""
    pool = _Images(pool_size, size)
    engine_round(model, _Images(2, size), ENGINE_PIECES['RIPU RA (k=1)'], 1, store_dir)
    rows = []
    variants = [(name, pieces, 1, (1, 4)) for name, pieces in ENGINE_PIECES.items()]
    variants += [(f'{name}, scoring on torch\'s threads (before)', ENGINE_PIECES[name], None,
                  before_batches) for name in ALL_THREADS]
    for name, pieces, threads, batches in variants:
        names = make_scorer(pieces[0]).inputs
        for batch in batches:
            fwd, rnd, within = [], [], []
            for _ in range(repeats):
                fwd.append(forward_pass(model, pool, batch, names))
                total, spent = engine_round(model, pool, pieces, batch, store_dir, threads)
                rnd.append(total)
                within.append(spent / (total - spent))
            rows.append((name, batch, statistics.median(fwd), statistics.median(rnd),
                         statistics.median(within), within))
            print(f'engine {name} batch {batch}: forward {rows[-1][2]:.2f} s, round '
                  f'{rows[-1][3]:.2f} s, selection / forward {rows[-1][4]:.3f} '
                  f'({", ".join(f"{r:.3f}" for r in within)})', flush=True)
    return rows


def make_scorer(scorer_cfg):
    """A scorer from a config or a class of this file."""
    from mmada.registry import SCORERS
    import mmada.active  # noqa: F401
    return scorer_cfg() if callable(scorer_cfg) else SCORERS.build(scorer_cfg)


def memory_child(pool, h, w):
    import tempfile
    model = build_model()
    with tempfile.TemporaryDirectory() as tmp:
        engine_round(model, _Images(pool, (h, w)), ENGINE_PIECES['CBDA (RIPU k=1, global)'], 4,
                     tmp)[0]
    print(json.dumps(dict(pool=pool, max_rss_mb=resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024)))


def markdown(args, time_rows, engine, memory_rows, load) -> str:
    """The results as a ``docs/benchmarks.md`` section."""
    h, w = args.size
    lines = [
        f'<!-- {MARK}:start -->',
        '## Cost of an acquisition round: scoring + selection versus the forward pass',
        '',
        f'`python tools/benchmarks/acquisition.py --size {h} {w} --pool {args.pool} '
        f'--engine-pool {args.engine_pool} --repeats {args.repeats} '
        f'--before-batches {" ".join(map(str, args.before_batches))} '
        f'--memory-pools {" ".join(map(str, args.memory_pools))}`; synthetic-benchmark '
        f'model (DeepLab-v2 R18 tiny) in eval mode, images of {h}x{w}, a budget of 2.2% '
        f'over 5 rounds in 3x3 squares (PA: 40 px); {machine()}; load average '
        f'{load[0]:.1f} at the start and {load[1]:.1f} at the end of the run (other jobs share '
        'the cores when it is above their number). Per image, the forward '
        'pass (inference, upsampling, softmax, as `ActiveLearningHook` does it) is timed '
        'apart from scoring + greedy selection + allocation; medians over the pool (the '
        'mean shows the cost of the first CBDA images, scored before the round\'s '
        'budget is full and the dataset-wide cut can mask their scores). The model is '
        'untrained (no weights can be downloaded here): it predicts nearly one class, so '
        'most RIPU region scores are exactly 0 and tie, the worst case for the greedy '
        'selection\'s row-major tie-breaking.',
        '',
        '| acquisition | forward ms (baseline) | scoring + selection ms | selection / forward '
        '| selection mean ms |',
        '|---|---:|---:|---:|---:|',
    ]
    for name, f, sel, mean in time_rows:
        lines.append(f'| {name} | {1000 * f:.1f} | {1000 * sel:.1f} | {sel / f:.2f} '
                     f'| {1000 * mean:.1f} |')
    lines += [
        '',
        f'Round engine (`mmada.active.engine.AcquisitionRound`), {args.engine_pool} images '
        f'of {h}x{w}, median of {args.repeats} alternating runs: a whole round (outputs on '
        'the model\'s device, scoring, greedy selection, allocation; no oracle) and a '
        'pool pass that only computes the same outputs at the same batch size. Scoring + '
        'selection / forward is measured *within* each round (the time spent in the '
        'pass\'s consumer over the rest of the round), so it does not depend on how '
        'loaded the machine is between runs. Each image is scored and its units selected '
        'on one intra-op thread (`AcquisitionRound(score_threads=1)`, the default); the '
        'rows marked "before" run the same code on torch\'s thread count, as rounds did '
        'before (the forward pass always keeps torch\'s setting).',
        '',
        '| acquisition | batch | forward-only pass s | round s | scoring + selection / '
        'forward (median) | runs | images/s (round) |',
        '|---|---:|---:|---:|---:|---|---:|',
    ]
    for name, batch, fwd, rnd, within, runs in engine:
        lines.append(f'| {name} | {batch} | {fwd:.2f} | {rnd:.2f} | **{within:.3f}** '
                     f'| {", ".join(f"{r:.3f}" for r in runs)} '
                     f'| {args.engine_pool / rnd:.2f} |')
    lines += [
        '',
        'Peak resident memory of a whole engine CBDA round (RIPU k=1 scores, dataset-wide '
        'top-N, batch 4), each pool size in a fresh process:',
        '',
        '| pool images | peak RSS MB | ratio to the smallest pool |',
        '|---:|---:|---:|',
    ]
    for pool, rss in memory_rows:
        lines.append(f'| {pool} | {rss:.0f} | {rss / memory_rows[0][1]:.2f} |')
    lines.append(f'<!-- {MARK}:end -->')
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--size', type=int, nargs=2, default=(256, 512))
    parser.add_argument('--pool', type=int, default=20)
    parser.add_argument('--memory-pools', type=int, nargs='+', default=(25, 50, 100, 200))
    parser.add_argument('--engine-pool', type=int, default=16)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--before-batches', type=int, nargs='*', default=(1, 4),
                        help='batch sizes of the rows that score on torch\'s threads (before)')
    parser.add_argument('--out', default=None, help='markdown file to write the section into')
    parser.add_argument('--child', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    h, w = args.size
    if args.child:
        return memory_child(args.child, h, w)
    load_start = os.getloadavg()[0]
    model = build_model()
    run_round(model, 2, (h, w), *PIECES['entropy + 3x3 regions'], global_alloc=False)
    time_rows = []
    for name, (scorer, unit) in PIECES.items():
        fwd, sel = run_round(model, args.pool, (h, w), scorer, unit,
                             global_alloc=name.startswith('CBDA'))
        time_rows.append((name, statistics.median(fwd), statistics.median(sel),
                          statistics.mean(sel)))
        print(f'{name}: forward {1000 * time_rows[-1][1]:.1f} ms, selection '
              f'{1000 * time_rows[-1][2]:.1f} ms', flush=True)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        engine = engine_rows(model, (h, w), args.engine_pool, args.repeats, tmp,
                             tuple(args.before_batches))
    memory_rows = []
    for pool in args.memory_pools:
        out = subprocess.run([sys.executable, __file__, '--child', str(pool), '--size',
                              str(h), str(w)], capture_output=True, text=True, check=True)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        memory_rows.append((pool, rec['max_rss_mb']))
        print(f'pool {pool}: peak RSS {rec["max_rss_mb"]:.0f} MB', flush=True)
    section = markdown(args, time_rows, engine, memory_rows, (load_start, os.getloadavg()[0]))
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
