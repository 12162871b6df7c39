"""Step time of the full ADA-MCU step over the plain two-domain step, same model.

One process, one model family: DeepLab-v2 R101 with its layer3 classifier
(``configs/_base_/models/deeplabv2_r101.py`` + ``layer3_aux_head``, random
weights, frozen BN), 2 source + 2 target images per step (the paper's batch),
one ``train_step`` = data preprocessor, forward, losses, backward, SGD.

* **plain**: the two-domain step: cross-entropy of both heads on the source
  and on a target with sparse labels (4096 labelled pixels per image, as an
  active method trained on labels of earlier rounds).
* **full ADA-MCU**: the same model with
  ``online_acquisition=AdaMCUOnlineAcquisition`` (uncertainty of both domains,
  Eq. 1-3; groups; equal-count sampling of up to 2048 pixels per group and
  image; the oracle; a label-store read per target image) and the extra losses
  of the Full Model: ``PseudoLabelCELoss`` (Eq. 5) and
  ``MultiLevelContrastiveLoss`` (three levels, p2p + c2c, DCCM, 1024 samples
  per image) at several anchors per image (the growth).

The thresholds are set from the first step's target uncertainty (its 1/3 and
2/3 quantiles) so that each group holds about a third of the pixels, as a
trained model's would: every group is sampled and the target has anchors.
The pending labels are dropped after every step (the hook's commit is not
part of the step), so every step acquires. Variants alternate in blocks of
the same run; each ratio is the median over blocks of (variant / plain) in
that block, on the process CPU time (``time.process_time``, 1 torch thread):
the work done, which does not depend on what else runs on the machine; the
wall-clock ratio is printed too.

    nice -n 15 python tools/benchmarks/ada_mcu_step_overhead.py [--size 320 640 --repeats 4 --anchors 100 25 400] [--out docs/benchmarks.md]
"""
import argparse
import os.path as osp
import re
import resource
import statistics
import sys
import tempfile
import time
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmada.active.label_store import LabelStore  # noqa: E402
from mmada.active.online import ORIGIN_OFFSET  # noqa: E402
from mmada.registry import MODELS  # noqa: E402

sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402

ROOT = sys.path[0]
MARK = 'ada_mcu_step_overhead'
NUM_CLASSES = 19
TARGET_LABELS = 4096  # labelled pixels per target image of the plain step


def domain_batch(n, h, w, seed, online):
    """One domain's ``dict(inputs, data_samples)`` (online: hidden oracle fields)."""
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    samples = []
    for i in range(n):
        s = SegDataSample()
        gt = torch.randint(0, NUM_CLASSES, (1, h, w), generator=g)
        if online:
            labels = torch.full_like(gt, 255)
            s.set_data(dict(oracle_sem_seg=PixelData(data=gt),
                            origin_index=PixelData(data=torch.arange(h * w).view(1, h, w) +
                                                   ORIGIN_OFFSET)))
        elif seed > 0:  # plain target: sparse labels
            keep = torch.zeros(h * w, dtype=torch.bool)
            keep[torch.randperm(h * w, generator=g)[:TARGET_LABELS]] = True
            labels = torch.where(keep.view(1, h, w), gt, torch.full_like(gt, 255))
        else:
            labels = gt
        s.gt_sem_seg = PixelData(data=labels)
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                            active_key=f'img{seed}_{i}'))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def make_data(h, w, online):
    return dict(source=domain_batch(2, h, w, 0, False),
                target=domain_batch(2, h, w, 1, online))


def build(full: bool, store_dir: str, shape):
    """The model (plain or full ADA-MCU) and its SGD optimiser."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r101.py'))
    methods = Config.fromfile(osp.join(ROOT, 'configs/_base_/methods/ada_mcu.py'))
    contrastive = Config.fromfile(osp.join(ROOT,
                                           'configs/_base_/methods/ada_mcu_contrastive.py'))
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None  # random weights: timing only
    model_cfg.auxiliary_head = cfg.layer3_aux_head
    if full:
        model_cfg.online_acquisition = dict(methods.ada_mcu_acquisition,
                                            budget=dict(type='ratio', value=1.0))
        model_cfg.extra_losses = [methods.ada_mcu_pseudo_loss, contrastive.mcu_loss]
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    if full:
        model.online_acquisition.bind(LabelStore(store_dir, num_classes=NUM_CLASSES),
                                      [tuple(shape)] * 2)
    optim = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-5, momentum=0.9)))
    return model, optim


def set_thirds(model, h, w) -> None:
    """pi_low / pi_high at the 1/3 and 2/3 quantiles of the target uncertainty."""
    acq = model.online_acquisition
    data = model.data_preprocessor(make_data(h, w, True), True)
    with torch.no_grad():
        out = model.forward_domains(data['inputs'], data['data_samples'])['target']
        score, _ = acq.scores(model, out, (h, w))
    low, high = torch.quantile(score.flatten()[::7].float(), torch.tensor([1 / 3, 2 / 3]))
    acq.schedule.pi_low, acq.schedule.pi_high = float(low), float(high)
    acq.schedule.initial_pi_high = float(high)


def timed_step(model, optim, data):
    """Wall and process-CPU seconds of one ``train_step``."""
    with timed() as t:
        model.train_step(data, optim)
    acq = getattr(model, 'online_acquisition', None)
    if acq is not None:
        acq.pending.clear()
    return t.wall, t.cpu


def crop_note(h: int, w: int, peak_gb: Optional[float]) -> str:
    """How the timed crop relates to the paper's 1280x640."""
    if (h, w) == (640, 1280):
        return 'the paper\'s crop'
    scale = 640 * 1280 / (h * w)
    need = f'about {scale * peak_gb:.0f} GB' if peak_gb else 'memory'
    return (f'the paper\'s 1280x640 crop has {scale:g}x the pixels, and the activations grow '
            f'with them: {need} at the full crop, more than this 24 GB machine shared by '
            'several runs holds')


BLOCK = re.compile(r'^block (\d+) (.+) anchors=(\w+): cpu ([\d.]+) s, wall ([\d.]+) s$')


def blocks_from_log(path: str):
    """Variants and per-block (cpu, wall) seconds from the lines a run printed."""
    variants, cpu, wall = [], {}, {}
    with open(path) as f:
        for line in f:
            match = BLOCK.match(line.strip())
            if not match:
                continue
            _, name, anchors, t_cpu, t_wall = match.groups()
            key = (name, None if anchors == 'None' else int(anchors))
            if key not in cpu:
                variants.append(key)
                cpu[key], wall[key] = [], []
            cpu[key].append(float(t_cpu))
            wall[key].append(float(t_wall))
    # a variant counts in the blocks that also timed the baseline (listed first)
    done = {k: min(len(cpu[k]), len(cpu[variants[0]])) for k in variants}
    variants = [k for k in variants if done[k]]
    return (variants, [cpu[k][:done[k]] for k in variants],
            [wall[k][:done[k]] for k in variants])


def markdown(args, rows, peak_gb) -> str:
    h, w = args.size
    lines = [
        f'<!-- {MARK}:start -->',
        '## ADA-MCU full step (online sampler + contrastive units + DCCM) vs the plain '
        'two-domain step, DeepLab-v2 R101',
        '',
        f'`nice -n 15 python tools/benchmarks/ada_mcu_step_overhead.py --size {h} {w} '
        f'--repeats {args.repeats} --anchors {" ".join(map(str, args.anchors))}`'
        f'{" (its printed blocks rendered by --from-log)" if args.from_log else ""}; '
        f'{machine()}. DeepLab-v2 R101 with its layer3 classifier (random weights, frozen '
        f'BN), 2 source + 2 target images of {w}x{h} per step (the paper\'s batch; '
        f'{crop_note(h, w, peak_gb)}), '
        'one `train_step` per step. Plain: cross-entropy of both heads on the source and '
        f'on {TARGET_LABELS} labelled pixels per target image. Full ADA-MCU: the same model '
        'with the online acquisition (uncertainty of both domains, groups with thresholds at '
        'the 1/3 and 2/3 quantiles of the first step\'s target uncertainty, equal-count '
        'sampling of up to 2048 pixels per group and image, oracle, label-store read) and the '
        'Full Model\'s losses (pseudo-label CE; three contrastive levels, p2p + c2c, DCCM, '
        '1024 samples per image). The variants alternate in blocks of one step in the same '
        f'process; up to {args.repeats} blocks after a warm-up; each ratio is the median over '
        'blocks of variant / plain of the same block, on the process CPU time '
        '(`time.process_time`, 1 torch thread: the work done, independent of the other '
        'load on the machine).' + (f' Peak memory {peak_gb:.1f} GB.' if peak_gb else ''),
        '',
        '| step | anchors / image | blocks | median CPU s / step | ratio CPU | ratio wall |',
        '|---|---:|---:|---:|---:|---:|',
    ]
    for name, anchors, blocks, cpu, ratio, wall_ratio in rows:
        ratio_text = f'**{ratio:.3f}**' if ratio is not None else '1'
        wall_text = f'{wall_ratio:.3f}' if wall_ratio is not None else '1'
        lines.append(f'| {name} | {anchors} | {blocks} | {cpu:.1f} | {ratio_text} | '
                     f'{wall_text} |')
    lines += [
        '',
        'Goal: at most 1.25x at the paper\'s batch and crop on the same model. '
        'The added work is bounded per image (samples per group, anchors and samples of the '
        'contrastive units) except the per-pixel uncertainty, groups and argmax at label '
        'resolution, which grow like the backbone with the crop, so the ratio at the full '
        'crop is at most the one measured here. The wall-clock ratio is noise on this '
        'shared machine.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--size', type=int, nargs=2, default=(320, 640))
    parser.add_argument('--repeats', type=int, default=4)
    parser.add_argument('--anchors', type=int, nargs='+', default=(100, 25, 400),
                        help='anchors per image of the contrastive units; the first is the '
                        "configs' value")
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--max-minutes', type=float, default=None,
                        help='stop after the block that passes this wall time (at least 1)')
    parser.add_argument('--from-log', default=None,
                        help='render the section from the block lines a run printed (a run '
                        'stopped early); with the same --size')
    parser.add_argument('--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.from_log:
        variants, cpu, wall = blocks_from_log(args.from_log)
        args.repeats, args.anchors = max(map(len, cpu)), [a for _, a in variants[1:]]
        return report(args, variants, cpu, wall, None)
    variants, cpu, wall = measure(args)
    report(args, variants, cpu, wall,
           resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)


def measure(args):
    """Per variant, the CPU and wall seconds of each block."""
    h, w = args.size
    start = time.monotonic()  # the --max-minutes deadline
    with tempfile.TemporaryDirectory() as tmp:
        plain, plain_opt = build(False, tmp, (h, w))
        full, full_opt = build(True, tmp, (h, w))
        set_thirds(full, h, w)
        mcu = full.extra_losses[1]
        variants = [('plain two-domain step (baseline)', None)]
        variants += [('full ADA-MCU step', a) for a in args.anchors]

        def run(anchors):
            if anchors is None:
                return timed_step(plain, plain_opt, make_data(h, w, False))
            mcu.anchors_per_image = anchors
            return timed_step(full, full_opt, make_data(h, w, True))

        run(None), run(args.anchors[0])  # warm-up
        cpu = [[] for _ in variants]
        wall = [[] for _ in variants]
        for rep in range(args.repeats):
            for i, (_, anchors) in enumerate(variants):
                t_wall, t_cpu = run(anchors)
                wall[i].append(t_wall)
                cpu[i].append(t_cpu)
                print(f'block {rep} {variants[i][0]} anchors={anchors}: cpu {t_cpu:.2f} s, '
                      f'wall {t_wall:.2f} s', flush=True)
            if args.max_minutes and time.monotonic() - start > 60 * args.max_minutes:
                args.repeats = rep + 1
                break
    return variants, cpu, wall


def report(args, variants, cpu, wall, peak_gb) -> None:
    """Print the section; write it into ``--out``."""
    rows = []
    for i, (name, anchors) in enumerate(variants):
        ratio = wall_ratio = None
        if anchors is not None:
            ratio = statistics.median(c / b for c, b in zip(cpu[i], cpu[0]))
            wall_ratio = statistics.median(c / b for c, b in zip(wall[i], wall[0]))
        rows.append((name, '-' if anchors is None else anchors, len(cpu[i]),
                     statistics.median(cpu[i]), ratio, wall_ratio))
    rows = rows[:1] + sorted(rows[1:], key=lambda r: r[1])
    section = markdown(args, rows, peak_gb)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
