"""The embedded synthetic benchmark, end to end, with a readable mIoU table.

``make demo`` runs this: it generates the benchmark when missing, trains each
method with ``tools/train.py`` (one subprocess each, as a user would) and
prints the target-val mIoU of every method side by side.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse
import glob
import json
import os
import subprocess
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# (name shown in the table, config). Source only trains first; every other
# method adapts its checkpoint for 300 iterations (the papers pre-train on
# source too). AdvEnt aligns without any target label; active methods label
# 2.2% of the target training pixels in 3x3 regions over 5 rounds.
METHODS = [
    ('source only', 'configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py'),
    ('AdvEnt (no target label)', 'configs/uda/advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'),
    ('random RA 2.2%', 'configs/baselines/random-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'),
    ('RIPU RA 2.2%', 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'),
    ('CBDA 2.2%', 'configs/cbda/cbda-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'),
    ('supervised (all target labels)',
     'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'),
]
HISTOGRAM_RUNS = ('RIPU RA 2.2%', 'CBDA 2.2%')
CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')


def last_metrics(work_dir: str) -> dict:
    """Final validation metrics of a run (from MMEngine's scalars.json)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    metrics = {}
    for path in files:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'mIoU' in rec:
                    metrics = rec
    return metrics


def work_dir_of(config: str, work_root: str) -> str:
    return osp.join(work_root, osp.splitext(osp.basename(config))[0])


def run_all(methods, work_root: str, jobs: int, extra=()) -> dict:
    """Train every method, ``jobs`` at a time (one thread each when > 1).

    Args:
        methods: (name, config) pairs.
        work_root: Folder of the work dirs.
        jobs: Trainings at the same time.
        extra: Extra ``tools/train.py`` arguments.

    Returns:
        dict: Final metrics (plus ``minutes``) per method name.
    """
    env = dict(os.environ)
    if jobs > 1:  # small models scale better over processes than threads
        env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    pending, running, results = list(methods), [], {}
    while pending or running:
        while pending and len(running) < jobs:
            name, config = pending.pop(0)
            work_dir = work_dir_of(config, work_root)
            cmd = [sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
                   '--work-dir', work_dir] + list(extra)
            print(f'[demo] start {name}: {" ".join(cmd[1:])}', flush=True)
            log = open(work_dir + '.log', 'w')
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env=env)
            running.append((name, work_dir, proc, log, time.time()))
        time.sleep(1)
        for item in list(running):
            name, work_dir, proc, log, start = item
            if proc.poll() is None:
                continue
            running.remove(item)
            log.close()
            if proc.returncode != 0:
                for other in running:
                    other[2].kill()
                raise SystemExit(f'[demo] {name} failed; see {log.name}')
            metrics = last_metrics(work_dir)
            metrics['minutes'] = (time.time() - start) / 60
            results[name] = metrics
            print(f'[demo] done {name}: mIoU {metrics.get("mIoU", float("nan")):.2f} '
                  f'in {metrics["minutes"]:.1f} min', flush=True)
    return {name: results[name] for name, _ in methods if name in results}


def draw_histograms(work_root: str, methods) -> str:
    """Class histogram of the labels acquired by RA versus CBDA."""
    from mmada.active.label_store import LabelStore
    from mmada.datasets.synthetic import NUM_CLASSES
    from mmada.visualization import draw_class_histogram
    counts = {}
    for name, config in methods:
        root = osp.join(work_dir_of(config, work_root), 'active_labels')
        if name in HISTOGRAM_RUNS and LabelStore.exists(root):
            counts[name] = LabelStore(root).class_counts()
    if not counts:
        return ''
    import cv2
    import numpy as np
    gt = np.zeros(NUM_CLASSES)
    for path in glob.glob(osp.join(ROOT, 'data/synthetic/target/gtFine/train/*/*.png')):
        gt += np.bincount(cv2.imread(path, cv2.IMREAD_UNCHANGED).ravel(), minlength=256)[:NUM_CLASSES]
    counts['all target labels'] = gt
    out = osp.join(work_root, 'class_histogram_ra_vs_cbda.png')
    return draw_class_histogram(counts, CLASSES, out,
                                title='Acquired target labels per class (2.2% budget)')


def draw_selection(work_root: str, methods) -> str:
    """CBDA Appendix A: the spread over images of the pixels labelled, RA vs DA."""
    from mmada.active.label_store import LabelStore
    from mmada.datasets.synthetic import SyntheticConfig
    from mmada.visualization import draw_selection_distribution
    size = SyntheticConfig().height * SyntheticConfig().width
    runs = {}
    for name, config in methods:
        root = osp.join(work_dir_of(config, work_root), 'active_labels')
        if name in HISTOGRAM_RUNS and LabelStore.exists(root):
            per_image = LabelStore(root).annotated_per_image()
            keys = glob.glob(osp.join(ROOT, 'data/synthetic/target/leftImg8bit/train/*/*.png'))
            # every pool image counts, also those that got no label (0 %)
            counts = [0] * (len(keys) - len(per_image)) + list(per_image.values())
            runs[name] = [100.0 * c / size for c in counts]
    if not runs:
        return ''
    out = osp.join(work_root, 'selection_distribution_ra_vs_cbda.png')
    return draw_selection_distribution(
        runs, out, title='Pixels labelled per target image (CBDA App. A)')


def table(results: dict) -> str:
    """Markdown table of mIoU per method."""
    lines = ['| method | target val mIoU | aAcc | minutes |', '|---|---:|---:|---:|']
    for name, m in results.items():
        lines.append(f'| {name} | {m.get("mIoU", float("nan")):.2f} | '
                     f'{m.get("aAcc", float("nan")):.2f} | {m["minutes"]:.1f} |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-root', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--only', nargs='*', help='run only these method names')
    parser.add_argument('--jobs', type=int, default=1,
                        help='trainings run at the same time (1 thread each)')
    args = parser.parse_args()
    os.makedirs(args.work_root, exist_ok=True)
    from mmada.datasets.synthetic import generate_benchmark
    start = time.time()
    if generate_benchmark(osp.join(ROOT, 'data', 'synthetic')):
        print(f'[demo] generated the synthetic benchmark in {time.time() - start:.0f} s')
    methods = [(n, c) for n, c in METHODS if not args.only or n in args.only]
    source = [m for m in methods if m == METHODS[0]]
    adapted = [m for m in methods if m != METHODS[0]]
    results = run_all(source, args.work_root, 1)
    ckpt = osp.join(work_dir_of(METHODS[0][1], args.work_root), 'iter_600.pth')
    results.update(run_all(adapted, args.work_root, args.jobs,
                           extra=['--cfg-options', f'load_from={ckpt}']))
    report = table(results)
    picture = draw_histograms(args.work_root, methods)
    spread = draw_selection(args.work_root, methods)
    with open(osp.join(args.work_root, 'results.md'), 'w') as f:
        f.write(report + '\n')
    print('\nTarget (real-looking) validation set, 100 images of 128x256:\n')
    print(report)
    if picture:
        print(f'\nClass histogram of the acquired labels: {picture}')
    if spread:
        print(f'Pixels labelled per image, RA vs CBDA (CBDA Appendix A): {spread}')
    print(f'\n[demo] total {(time.time() - start) / 60:.1f} min; table saved to '
          f'{osp.join(args.work_root, "results.md")}')


if __name__ == '__main__':
    main()
