"""Cost of DAFormer's self-training step next to the plain two-domain step.

One model (the synthetic benchmark's tiny MiT + DAFormer decoder), 2 source
+ 2 target images, one ``train_step`` per iteration:

* plain: ``TwoDomainSegmentor`` with source and (labelled) target
  cross-entropy, student forward of both domains, backward, AdamW;
* DAFormer: EMA-teacher forward on the target, pseudo labels and quality
  weight, DACS ClassMix + colour jitter + blur, student forward of source +
  mixed target, weighted pseudo-label CE, the thing-class feature distance
  (frozen copy of the encoder), backward, AdamW, and the EMA update that
  ``EMATeacherHook`` makes after the step.

Both are timed in alternating blocks of the same run; medians of the CPU time
of this process and of wall time. Memory: the peak RSS of a fresh process
running DAFormer steps as shipped (teacher under ``no_grad``) and with the
teacher's autograd graph kept (its parameters trainable, grad enabled), so
the saving is measured rather than assumed.

    python tools/benchmarks/daformer_step.py [--iters 5 --repeats 5 --size 128 256] [--out docs/benchmarks.md]
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmada.registry import MODELS  # noqa: E402

sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import median_seconds  # noqa: E402
from two_domain_overhead import batch  # noqa: E402

ROOT = sys.path[0]
MARK = 'daformer_step'
CONFIG = 'configs/daformer/daformer_mit-tiny_1xb2-900_synthetic-128x256.py'


def build(daformer: bool, weights: str):
    """The tiny-MiT model, plain or with DAFormer's parts, and its optimiser."""
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    model_cfg = cfg.model
    if daformer:
        backbone = dict(model_cfg.backbone, init_cfg=dict(type='Pretrained', checkpoint=weights))
        model_cfg.extra_losses = list(model_cfg.extra_losses) + [dict(
            type='ImageNetFeatureDistanceLoss', domain='source', loss_weight=0.005,
            backbone=backbone)]
    else:
        model_cfg.batch_steps, model_cfg.extra_losses = [], []
        model_cfg.domain_loss_weights = dict(source=1.0, target=1.0)
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-4, weight_decay=0.01)))
    return model, optim


def step_fn(model, optim, data, daformer: bool):
    """One training step (+ the EMA update of the hook for DAFormer)."""
    teacher = model.batch_steps[0] if daformer else None

    def run():
        model.train_step(data, optim)
        if teacher is not None:
            teacher.update_teacher(model, 0.999)
    return run


def save_weights(folder: str) -> str:
    """A stand-in for the ImageNet weights of the tiny MiT (random, saved once)."""
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(1)
        backbone = MODELS.build(cfg.model.backbone)
    path = osp.join(folder, 'mit_tiny.pth')
    torch.save(backbone.state_dict(), path)
    return path


def peak_rss(args, weights: str, graph: bool) -> float:
    """Peak RSS (MB) of a fresh process running 3 DAFormer steps."""
    out = subprocess.run(
        [sys.executable, __file__, '--rss-child', weights, '--size', *map(str, args.rss_size),
         '--threads', str(args.threads)] + (['--graph'] if graph else []),
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])['peak_mb']


def rss_child(args) -> None:
    """Child of :func:`peak_rss`: run the steps, print the peak RSS."""
    torch.set_num_threads(args.threads)
    h, w = args.size
    model, optim = build(True, args.rss_child)
    teacher = model.batch_steps[0]
    if args.graph:  # keep the teacher's graph: trainable parameters, grad enabled
        teacher.logits = type(teacher).logits.__wrapped__.__get__(teacher)
        for p in teacher.parameters():
            if p.is_floating_point():
                p.requires_grad_(True)
    data = dict(source=batch(2, h, w, 0), target=batch(2, h, w, 1))
    run = step_fn(model, optim, data, True)
    for _ in range(3):
        run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(peak_mb=peak)))


def markdown(args, rows, ratio_cpu, ratio_wall, rss) -> str:
    h, w = args.size
    med = statistics.median
    lines = [
        f'<!-- {MARK}:start -->',
        '## DAFormer self-training step',
        '',
        f'`python tools/benchmarks/daformer_step.py --iters {args.iters} --repeats '
        f'{args.repeats} --size {h} {w}`; the synthetic benchmark\'s tiny MiT + DAFormer '
        f'decoder, 2 source + 2 target images of {h}x{w}, one `train_step` per iteration; '
        f'{machine()}. The plain two-domain step (source + labelled target CE) and the '
        'DAFormer step (EMA-teacher forward, quality weight, DACS ClassMix + jitter + blur, '
        'student on source + mixed target, weighted CE, feature distance to a frozen copy of '
        'the encoder, and the EMA update of the hook) are timed in alternating blocks of the '
        'same run; medians over blocks.',
        '',
        '| step | median CPU ms | median wall ms |',
        '|---|---:|---:|',
    ]
    lines += [f'| {name} | {1000 * med(c):.1f} | {1000 * med(wl):.1f} |' for name, c, wl in rows]
    rh, rw = args.rss_size
    lines += [
        '',
        f'DAFormer / plain step: CPU **{med(ratio_cpu):.2f}x** '
        f'({", ".join(f"{r:.2f}" for r in ratio_cpu)}), wall {med(ratio_wall):.2f}x '
        '(goal: at most 2.0x).',
        '',
        f'Peak RSS of a fresh process running 3 DAFormer steps on {rh}x{rw} images: '
        f'**{rss[0]:.0f} MB** with the teacher as shipped (no autograd graph), '
        f'{rss[1]:.0f} MB when the teacher\'s graph is kept (its parameters trainable, grad '
        f'enabled): the teacher\'s graph would add {rss[1] - rss[0]:.0f} MB.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256))
    parser.add_argument('--rss-size', type=int, nargs=2, default=(256, 512))
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=None)
    parser.add_argument('--rss-child', default=None, help=argparse.SUPPRESS)
    parser.add_argument('--graph', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        return rss_child(args)
    torch.set_num_threads(args.threads)
    h, w = args.size
    data = dict(source=batch(2, h, w, 0), target=batch(2, h, w, 1))
    with tempfile.TemporaryDirectory() as tmp:
        weights = save_weights(tmp)
        plain = step_fn(*build(False, weights), data, False)
        dafo = step_fn(*build(True, weights), data, True)
        for fn in (plain, dafo):
            median_seconds(fn, 2)  # warm-up
        res = {k: ([], []) for k in ('plain', 'daformer')}
        ratio_cpu, ratio_wall = [], []
        for _ in range(args.repeats):
            for key, fn in (('plain', plain), ('daformer', dafo)):
                wall, cpu = median_seconds(fn, args.iters)
                res[key][0].append(cpu)
                res[key][1].append(wall)
            ratio_cpu.append(res['daformer'][0][-1] / res['plain'][0][-1])
            ratio_wall.append(res['daformer'][1][-1] / res['plain'][1][-1])
        args.rss_size = tuple(args.rss_size)
        rss = (peak_rss(args, weights, False), peak_rss(args, weights, True))
    rows = [('plain two-domain step (baseline)', *res['plain']),
            ('DAFormer step', *res['daformer'])]
    section = markdown(args, rows, ratio_cpu, ratio_wall, rss)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
