"""Wall time of one acquisition round on 1 and on 2 gloo ranks (``tools/select.py``).

The same round (same checkpoint, same empty label store) is run by
``tools/select.py`` on one process and under ``torchrun --nproc_per_node 2``
(gloo on the CPU), alternately, ``--repeats`` times each; the round's own
time (``time_s`` of its record: pool pass, scoring and selection on every
rank, merge, oracle and commit on rank 0) is read from the log, and the
selected images of the two are checked to be the same. The model is the
synthetic benchmark's DeepLab-v2 R18 tiny at its initial weights (the round's
cost does not depend on them); the target pool is the synthetic benchmark's,
``--images`` images of ``--size``.

    python tools/benchmarks/dist_round.py [--images 48] [--size 128 256] [--repeats 3]
        [--out docs/benchmarks.md]
"""
import argparse
import logging
import os
import os.path as osp
import re
import socket
import statistics
import subprocess
import sys
import tempfile

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from tiny_runs import tiny_config, walk_dicts  # noqa: E402

MARK = 'dist_round'
CONFIGS = dict(
    ripu_ra='configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
    madav2='configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py')
TIME = re.compile(r'\[active\] round 1: .*; ([\d.]+) s')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def prepare(tmp: str, method: str, images: int, size) -> tuple:
    """A config over a pool of ``images`` target images and an initial-weights checkpoint."""
    import torch
    from mmengine.registry import init_default_scope

    from mmada.datasets.synthetic import SyntheticConfig, generate_benchmark
    from mmada.registry import MODELS
    generator = dict(height=size[0], width=size[1], seed=0,
                     num_images={'source': {'train': images, 'val': 2},
                                 'target': {'train': images, 'val': 2}})
    bench = osp.join(tmp, 'bench')
    generate_benchmark(bench, SyntheticConfig(**generator), nproc=1, verbose=False)
    cfg = tiny_config(CONFIGS[method], bench, max_iters=300, validate=False)  # its rounds
    for d in walk_dicts(cfg._cfg_dict):
        if str(d.get('type', '')).endswith('SyntheticCityscapesDataset'):
            d['generator'] = dict(generator)
    if method == 'madav2':
        cfg.active_learning.budget.value = max(1, images // 20)  # 5 % of the images
    path = osp.join(tmp, f'{method}.py')
    cfg.dump(path)
    init_default_scope('mmada')
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)  # init_weights' report
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = osp.join(tmp, f'{method}.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    return path, ckpt


def run_round(cfg: str, ckpt: str, work: str, ranks: int) -> float:
    """One ``tools/select.py`` round; its ``time_s``."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    select = osp.join(ROOT, 'tools', 'select.py')
    if ranks == 1:
        cmd = [sys.executable, select, cfg, ckpt, '--work-dir', work]
    else:
        cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={ranks}',
               f'--master_port={_free_port()}', select, cfg, ckpt, '--work-dir', work,
               '--launcher', 'pytorch']
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    out = proc.stdout + proc.stderr
    found = TIME.search(out)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f'{cmd} failed ({proc.returncode}):\n{out[-4000:]}')
    return float(found.group(1))


def picks(work: str) -> dict:
    """Labelled pixels per image after the round."""
    from mmada.active.label_store import LabelStore
    return dict(sorted(LabelStore(osp.join(work, 'active_labels')).annotated_per_image().items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=48)
    parser.add_argument('--size', type=int, nargs=2, default=[128, 256])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--methods', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods:
            cfg, ckpt = prepare(osp.join(tmp, method), method, args.images, args.size)
            times = {1: [], 2: []}
            for rep in range(args.repeats):
                for ranks in (1, 2):
                    work = osp.join(tmp, method, f'r{ranks}_{rep}')
                    times[ranks].append(run_round(cfg, ckpt, work, ranks))
                if picks(osp.join(tmp, method, f'r1_{rep}')) != picks(
                        osp.join(tmp, method, f'r2_{rep}')):
                    raise RuntimeError(f'{method}: 1 and 2 ranks selected different images')
            one, two = statistics.median(times[1]), statistics.median(times[2])
            rows.append((method, one, two, times))
            print(method, times, flush=True)
    cmd = 'python tools/benchmarks/dist_round.py ' + ' '.join(
        a for a in sys.argv[1:]).replace('--out docs/benchmarks.md', '').strip()
    lines = [f'<!-- {MARK}:start -->', '## One acquisition round on 1 and 2 ranks', '',
             f'`{cmd.strip()}`; `tools/select.py` on one process and under `torchrun '
             f'--nproc_per_node 2` (gloo, CPU), alternately; target pool of {args.images} '
             f'images of {args.size[0]}x{args.size[1]}; DeepLab-v2 R18 tiny at its initial '
             f'weights; one intra-op thread per process; {machine()}.', '',
             '| round | 1 rank (s) | 2 ranks (s) | 2 ranks / 1 rank | runs (1 / 2 ranks) |',
             '|---|---:|---:|---:|---|']
    for method, one, two, times in rows:
        lines.append(f'| {method} | {one:.2f} | {two:.2f} | {two / one:.2f} | '
                     f'{", ".join(f"{t:.2f}" for t in times[1])} / '
                     f'{", ".join(f"{t:.2f}" for t in times[2])} |')
    lines += ['', 'Times are medians of the round\'s own time (`time_s` of its record: pool '
              'pass, scoring and selection on every rank, gather, merge, oracle and commit on '
              'rank 0), without process start-up and model building. Both give the same images '
              '(checked every run). On a machine with fewer free cores than ranks the two '
              'ranks share them, and the ratio says more about that than about the engine.',
              f'<!-- {MARK}:end -->']
    section = '\n'.join(lines) + '\n'
    print(section)
    if args.out:
        write_section(args.out, section, MARK)
    return 0


if __name__ == '__main__':
    sys.exit(main())
