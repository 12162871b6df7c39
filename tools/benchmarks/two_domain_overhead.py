"""Training-iteration time: TwoDomainSegmentor versus mmseg's EncoderDecoder.

Same model (the synthetic benchmark's DeepLab-v2 R18), same total batch
(2 source + 2 target images for the two-domain segmentor, 4 images for the
plain one), same process; the two are timed in alternating blocks so that
machine noise hits both. Reports the median iteration time of each and their
ratio (goal: at most 1.03), on two clocks: wall time, and the CPU time of
this process (``time.process_time``), which other processes on a shared
machine do not inflate (with ``--threads 1`` it is the work done).

    python tools/benchmarks/two_domain_overhead.py [--iters 20 --repeats 5 --threads N] [--out docs/benchmarks.md]
"""
import argparse
import os.path as osp
import statistics
import sys

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmada.registry import MODELS  # noqa: E402

sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import median_seconds  # noqa: E402

ROOT = sys.path[0]
MARK = 'two_domain_overhead'


def batch(n, h, w, seed):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8) for _ in range(n)]
    samples = []
    for _ in range(n):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, h, w), generator=g))
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w)))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def build(two_domain: bool):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    model_cfg = cfg.model
    if not two_domain:
        model_cfg.type = 'EncoderDecoder'
        model_cfg.data_preprocessor = model_cfg.data_preprocessor.data_preprocessor
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)))
    return model, optim


def time_block(model, optim, data, iters):
    """Median wall and process-CPU seconds of ``iters`` training steps."""
    return median_seconds(lambda: model.train_step(data, optim), iters)


def markdown(args, t_plain, t_two, ratios, cpu_plain, cpu_two, cpu_ratios) -> str:
    """The results as a ``docs/benchmarks.md`` section."""
    h, w = args.size
    med = statistics.median
    return '\n'.join([
        f'<!-- {MARK}:start -->',
        '## Two-domain training overhead (TwoDomainSegmentor vs EncoderDecoder)',
        '',
        f'`python tools/benchmarks/two_domain_overhead.py --iters {args.iters} '
        f'--repeats {args.repeats} --threads {args.threads}`; synthetic-benchmark model '
        f'(DeepLab-v2 R18 tiny), input {h}x{w}, 2 source + 2 target images versus 4 images, '
        f'one `train_step` (forward, backward, SGD step) per iteration; {machine()}. The two '
        'models are timed in alternating blocks of the same run; each block gives a median, '
        'on the wall clock and on the CPU time of the process (which other processes on '
        'a shared machine do not inflate).',
        '',
        '| model | median ms / iteration (wall) | median CPU ms / iteration |',
        '|---|---:|---:|',
        f'| mmseg EncoderDecoder (baseline) | {1000 * med(t_plain):.1f} | '
        f'{1000 * med(cpu_plain):.1f} |',
        f'| mmada TwoDomainSegmentor | {1000 * med(t_two):.1f} | {1000 * med(cpu_two):.1f} |',
        '',
        f'Ratio two-domain / plain, CPU time: **{med(cpu_ratios):.3f}** (median of '
        f'{args.repeats} blocks: {", ".join(f"{r:.3f}" for r in cpu_ratios)}); wall clock: '
        f'{med(ratios):.3f} ({", ".join(f"{r:.3f}" for r in ratios)}); goal <= 1.03.',
        '',
        'The two-domain step shares one backbone pass between the domains, runs the heads once '
        'over both when they have no batch statistics or dropout in use (DeepLab-v2), and '
        'stacks each domain\'s labels once for the cross-entropy and the accuracy; what remains '
        'per domain is the upsampling of the logits, the cross-entropy and the accuracy on '
        'half the batch.',
        f'<!-- {MARK}:end -->',
    ]) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256))
    parser.add_argument('--threads', type=int, default=torch.get_num_threads(),
                        help='torch threads (1: CPU time equals the work done)')
    parser.add_argument('--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    h, w = args.size
    two, two_opt = build(True)
    plain, plain_opt = build(False)
    two_data = dict(source=batch(2, h, w, 0), target=batch(2, h, w, 1))
    plain_data = batch(4, h, w, 0)
    # warm-up
    time_block(two, two_opt, two_data, 3)
    time_block(plain, plain_opt, plain_data, 3)
    t_two, t_plain, ratios, c_two, c_plain, c_ratios = [], [], [], [], [], []
    for _ in range(args.repeats):
        a, ca = time_block(plain, plain_opt, plain_data, args.iters)
        b, cb = time_block(two, two_opt, two_data, args.iters)
        t_plain.append(a)
        t_two.append(b)
        ratios.append(b / a)
        c_plain.append(ca)
        c_two.append(cb)
        c_ratios.append(cb / ca)
    section = markdown(args, t_plain, t_two, ratios, c_plain, c_two, c_ratios)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
