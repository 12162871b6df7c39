"""Training-step time of ADA-MCU's online acquisition over the plain two-domain step.

Same model (the synthetic benchmark's DeepLab-v2 R18 with its layer3
classifier), same batch (2 source + 2 target images), same process: the
plain ``TwoDomainSegmentor`` step versus the step with
``online_acquisition=AdaMCUOnlineAcquisition`` (uncertainty of both domains,
groups, equal-count sampling, the oracle and a read of each target image's
labels from a label store on disk), timed in alternating blocks. The pending
labels are dropped after every step (the hook's commit is not part of the
step), so every step acquires. Reports medians and the ratio (goal: at most
1.25), on the wall clock and the process CPU time.

    python tools/benchmarks/online_acquisition_overhead.py [--iters 10 --repeats 5 --size 128 256] [--out docs/benchmarks.md]
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile

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
from timing import median_seconds  # noqa: E402

ROOT = sys.path[0]
MARK = 'online_acquisition_overhead'
ACQUISITION = dict(type='AdaMCUOnlineAcquisition', budget=dict(type='ratio', value=1.0),
                   pi_high=0.9, pi_low=0.1, samples_per_image=64)


def batch(n, h, w, seed, online):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, h, w), generator=g, dtype=torch.uint8) for _ in range(n)]
    samples = []
    for i in range(n):
        s = SegDataSample()
        gt = torch.randint(0, 19, (1, h, w), generator=g)
        s.gt_sem_seg = PixelData(data=gt if not online else torch.full_like(gt, 255))
        s.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w), active_key=f'img{seed}_{i}'))
        if online:
            s.set_data(dict(oracle_sem_seg=PixelData(data=gt),
                            origin_index=PixelData(data=torch.arange(h * w).view(1, h, w) +
                                                   ORIGIN_OFFSET)))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def build(online: bool, store_dir: str, num_images: int, shape):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    model_cfg = cfg.model
    model_cfg.auxiliary_head = cfg.layer3_aux_head
    if online:
        model_cfg.online_acquisition = ACQUISITION
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    if online:
        model.online_acquisition.bind(LabelStore(store_dir, num_classes=19),
                                      [tuple(shape)] * num_images)
    optim = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3, momentum=0.9)))
    return model, optim


def time_block(model, optim, make_data, iters):
    """Median wall and process-CPU seconds of ``iters`` training steps."""
    def step(data):
        model.train_step(data, optim)
        acq = getattr(model, 'online_acquisition', None)
        if acq is not None:
            acq.pending.clear()

    # fresh samples (untimed): the acquisition consumes the hidden fields
    return median_seconds(step, iters, setup=make_data)


def markdown(args, res) -> str:
    med = statistics.median
    lines = [
        f'<!-- {MARK}:start -->',
        '## Online acquisition overhead (ADA-MCU step vs plain two-domain step)',
        '',
        f'`python tools/benchmarks/online_acquisition_overhead.py --iters {args.iters} '
        f'--repeats {args.repeats} --threads {args.threads} --size '
        f'{" ".join(str(v) for v in args.size)}`; synthetic-benchmark '
        'model (DeepLab-v2 R18 tiny with its layer3 classifier), 2 source + 2 target images, '
        'one `train_step` per iteration; the online step adds the uncertainty of both domains '
        '(Eq. 1-3), the groups, equal-count sampling (64 pixels per group and image), the '
        f'oracle and one label-store read per target image; {machine()}. Timed in alternating '
        'blocks of the same run; medians over blocks.',
        '',
        '| input | plain ms / step (CPU) | online ms / step (CPU) | ratio CPU | ratio wall |',
        '|---|---:|---:|---:|---:|',
    ]
    for (h, w), (c_plain, c_online, cr, wr) in res.items():
        lines.append(f'| {h}x{w} | {1000 * med(c_plain):.1f} | {1000 * med(c_online):.1f} | '
                     f'**{med(cr):.3f}** | {med(wr):.3f} |')
    lines += ['', 'Goal: at most 1.25 at the paper\'s batch; the paper\'s crop '
              '(1280x640) and DeepLab-v2 R101 are not timed on this CPU-only machine.',
              f'<!-- {MARK}:end -->']
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--size', type=int, nargs='+', default=(128, 256),
                        help='pairs H W, e.g. 128 256 256 512')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--out', default=None, help='markdown file to write the section into')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = list(zip(args.size[::2], args.size[1::2]))
    res = {}
    for h, w in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            plain, plain_opt = build(False, tmp, 4, (h, w))
            online, online_opt = build(True, tmp, 4, (h, w))
            def data(online_fields):
                return dict(source=batch(2, h, w, 0, False),
                            target=batch(2, h, w, 1, online_fields))
            time_block(plain, plain_opt, lambda: data(False), 2)
            time_block(online, online_opt, lambda: data(True), 2)
            c_plain, c_online, cr, wr = [], [], [], []
            for _ in range(args.repeats):
                wa, ca = time_block(plain, plain_opt, lambda: data(False), args.iters)
                wb, cb = time_block(online, online_opt, lambda: data(True), args.iters)
                c_plain.append(ca)
                c_online.append(cb)
                cr.append(cb / ca)
                wr.append(wb / wa)
            res[(h, w)] = (c_plain, c_online, cr, wr)
    section = markdown(args, res)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)


if __name__ == '__main__':
    main()
