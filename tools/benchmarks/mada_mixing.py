"""Cost of MADAv2's adaptive cutmix (ACM) and copy-paste (ACP) per training step.

The synthetic benchmark's DeepLab-v2 R18 trained as Table 3's M(2) (frozen
teacher + OHEM, no mixing) and M(3) (the same + ACP + ACM), 2 source + 2
target images (both target images labelled, so that ACP always pastes: its
worst case), one ``train_step`` per iteration; the two are timed in
alternating blocks of the same run. Also times the two mixers alone on the
same batch (after the teacher). Reports medians of CPU time of this process
(other processes on a shared machine do not inflate it) and wall time.

    python tools/benchmarks/mada_mixing.py [--iters 10 --repeats 5 --size 128 256] [--out docs/benchmarks.md]
"""
import argparse
import os.path as osp
import statistics
import sys

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
MARK = 'mada_mixing'
TEACHER = dict(type='PseudoLabelTeacher', mode='frozen')
MIXERS = [dict(type='AdaptiveCopyPaste', num_classes=19), dict(type='AdaptiveCutMix', num_classes=19)]


def build(mixers: bool, min_kept: int):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    losses = [dict(type='OHEMCrossEntropyLoss', domain=d, min_kept=min_kept) for d in ('target', 'pseudo')]
    cfg.model.update(batch_steps=[TEACHER] + (MIXERS if mixers else []), extra_losses=losses,
                     domain_loss_weights=dict(pseudo=0.0))
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)))
    return model, optim


def mixers_alone(model, data):
    """A callable running only the mixers on the preprocessed, teacher-labelled batch."""
    processed = model.data_preprocessor(data, True)
    inputs, samples = processed['inputs'], processed['data_samples']
    inputs, samples = model.batch_steps[0](model, inputs, samples)

    def run():
        x, s = inputs, samples
        for step in model.batch_steps[1:]:
            x, s = step(model, x, s)
    return run


def markdown(args, rows, ratio_cpu, ratio_wall, share_cpu) -> str:
    h, w = args.size
    med = statistics.median
    lines = [
        f'<!-- {MARK}:start -->',
        '## MADAv2 ACM / ACP cost per training step',
        '',
        f'`python tools/benchmarks/mada_mixing.py --iters {args.iters} --repeats {args.repeats} '
        f'--size {h} {w}`; synthetic-benchmark model (DeepLab-v2 R18 tiny), 2 source + 2 target '
        f'images of {h}x{w} (both target images labelled, so ACP always pastes), one '
        '`train_step` per iteration (teacher forward, mixing, forward of source + target + '
        f'pseudo, backward, SGD); {machine()}. M(2) and M(3) are timed in alternating blocks '
        'of the same run; medians over blocks.',
        '',
        '| what | median CPU ms | median wall ms |',
        '|---|---:|---:|',
    ]
    lines += [f'| {name} | {1000 * med(c):.1f} | {1000 * med(wl):.1f} |' for name, c, wl in rows]
    lines += [
        '',
        f'Step time M(3) / M(2) (the mixers\' overhead): CPU **{med(ratio_cpu):.3f}** '
        f'({", ".join(f"{r:.3f}" for r in ratio_cpu)}), wall {med(ratio_wall):.3f}. '
        f'ACP + ACM alone over the M(3) step: CPU **{med(share_cpu):.3f}**.',
        '',
        'Both mixers work on the batch on its device: ACP is one masked copy per labelled '
        'image, ACM one box per image (the partner is found by counting the drawn class in '
        'each pseudo label); their class statistics are one gather and one index_add over '
        'the teacher\'s log-probabilities.',
        f'<!-- {MARK}:end -->',
    ]
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--size', type=int, nargs=2, default=(128, 256))
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    h, w = args.size
    min_kept = int(0.054 * 2 * h * w)  # the authors' 100,000 of 4 x 896x512
    data = dict(source=batch(2, h, w, 0), target=batch(2, h, w, 1))
    m2, m2_opt = build(False, min_kept)
    m3, m3_opt = build(True, min_kept)
    alone = mixers_alone(m3, data)
    for model, opt in ((m2, m2_opt), (m3, m3_opt)):
        median_seconds(lambda: model.train_step(data, opt), 2)  # warm-up
    res = {k: ([], []) for k in ('m2', 'm3', 'mix')}
    ratio_cpu, ratio_wall, share = [], [], []
    for _ in range(args.repeats):
        for key, fn in (('m2', lambda: m2.train_step(data, m2_opt)),
                        ('m3', lambda: m3.train_step(data, m3_opt)), ('mix', alone)):
            wall, cpu = median_seconds(fn, args.iters)
            res[key][0].append(cpu)
            res[key][1].append(wall)
        ratio_cpu.append(res['m3'][0][-1] / res['m2'][0][-1])
        ratio_wall.append(res['m3'][1][-1] / res['m2'][1][-1])
        share.append(res['mix'][0][-1] / res['m3'][0][-1])
    rows = [('M(2) step: teacher + OHEM (baseline)', *res['m2']),
            ('M(3) step: + ACP + ACM', *res['m3']), ('ACP + ACM alone', *res['mix'])]
    section = markdown(args, rows, ratio_cpu, ratio_wall, share)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
