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

# (name shown in the table, config, extra --cfg-options)
METHODS = [
    ('source only', 'configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py'),
    ('supervised (all target labels)',
     'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py'),
]
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


def run(name: str, config: str, work_root: str, extra: list) -> dict:
    work_dir = osp.join(work_root, osp.splitext(osp.basename(config))[0])
    cmd = [sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
           '--work-dir', work_dir] + extra
    print(f'[demo] {name}: {" ".join(cmd[1:])}', flush=True)
    start = time.time()
    with open(osp.join(work_root, osp.basename(work_dir) + '.log'), 'w') as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f'[demo] {name} failed; see {log.name}')
    metrics = last_metrics(work_dir)
    metrics['minutes'] = (time.time() - start) / 60
    print(f'[demo] {name}: mIoU {metrics.get("mIoU", float("nan")):.2f} '
          f'in {metrics["minutes"]:.1f} min', flush=True)
    return metrics


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
    args = parser.parse_args()
    os.makedirs(args.work_root, exist_ok=True)
    from mmada.datasets.synthetic import generate_benchmark
    start = time.time()
    if generate_benchmark(osp.join(ROOT, 'data', 'synthetic')):
        print(f'[demo] generated the synthetic benchmark in {time.time() - start:.0f} s')
    results = {}
    for name, config, *extra in METHODS:
        if args.only and name not in args.only:
            continue
        results[name] = run(name, config, args.work_root, list(extra[0]) if extra else [])
    report = table(results)
    with open(osp.join(args.work_root, 'results.md'), 'w') as f:
        f.write(report + '\n')
    print('\nTarget (real-looking) validation set, 100 images of 128x256:\n')
    print(report)
    print(f'\n[demo] total {(time.time() - start) / 60:.1f} min; table saved to '
          f'{osp.join(args.work_root, "results.md")}')


if __name__ == '__main__':
    main()
