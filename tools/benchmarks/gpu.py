"""Training steps at the papers' settings on a CUDA device: ms per step and peak GPU memory.

Each model is built from the shipped base configs (random initial weights:
the cost of a step does not depend on them) and trained for ``--iters``
steps on random images and labels after ``--warmup`` steps, with AMP off
and on (``DeviceAmpOptimWrapper``, float16 on a GPU), all in one run:

* DeepLab-v2 R101 at 1280x640: mmseg ``EncoderDecoder`` on 4 images (the
  baseline) and ``TwoDomainSegmentor`` on 2 source + 2 target images;
* DeepLab-v3+ R101 at 1280x640, ``TwoDomainSegmentor`` 2 + 2;
* AdvEnt: DeepLab-v2 R101 with its two output-space discriminators
  (``AdversarialSegmentor``, segmentor and discriminator optimisers), 1 + 1
  images at 1024x512 as in the AdvEnt configs.

Per step: the median wall time (``torch.cuda.synchronize`` around each
step) and the peak GPU memory (``torch.cuda.max_memory_allocated``, reset
per case). The section of ``docs/benchmarks.md`` names the device.

Without a GPU (or with ``--device cpu``) the same code runs the synthetic
benchmark's tiny models (ResNet-18 of 16 base channels) at 64x32, one step
each, so that it cannot rot (``tests/test_tools/test_benchmarks_gpu.py``);
those numbers are CPU numbers of toy models, not GPU numbers, and the
section says so.

    python tools/benchmarks/gpu.py [--iters 10] [--warmup 3] [--device cuda] [--out docs/benchmarks.md]
"""
import argparse
import copy
import os.path as osp
import logging
import statistics
import sys
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from timing import timed  # noqa: E402
from two_domain_overhead import batch  # noqa: E402

MARK = 'gpu'
SGD = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9,
                                               weight_decay=5e-4))
#: The CPU stand-ins of the R101 models (the synthetic benchmark's tiny layout).
TINY_V2 = dict(backbone=dict(depth=18, base_channels=16, norm_cfg=dict(type='BN'),
                             norm_eval=False),
               decode_head=dict(in_channels=128, dilations=(2, 4, 6, 8)))
TINY_V3P = dict(backbone=dict(depth=18, base_channels=16, norm_cfg=dict(type='BN'),
                              norm_eval=False),
                decode_head=dict(in_channels=128, channels=32, c1_in_channels=16,
                                 c1_channels=8, dilations=(1, 2, 4, 6)))


#: Input of the CPU smoke run.
TINY_SIZE = (32, 64)


def _model_cfg(name: str, tiny: bool) -> Config:
    """A base model config without pretrained weights (and shrunk when ``tiny``)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models', name))
    model = cfg.model
    model.backbone.init_cfg = None
    if tiny:
        for part, delta in (TINY_V3P if 'v3plus' in name else TINY_V2).items():
            model[part].update(delta)
    return model


def cases(tiny: bool) -> List[dict]:
    """The training-step cases: name, model config, optimiser config, batch maker."""
    v2 = _model_cfg('deeplabv2_r101.py', tiny)
    plain = copy.deepcopy(v2)
    plain.type = 'EncoderDecoder'
    plain.data_preprocessor = plain.data_preprocessor.data_preprocessor
    v3p = _model_cfg('deeplabv3plus_r101.py', tiny)
    adv = Config.fromfile(osp.join(ROOT, 'configs/_base_/uda/adversarial.py'))
    advent = copy.deepcopy(v2)
    advent.update(type='AdversarialSegmentor', discriminators=adv.two_level_discriminators,
                  alignment=adv.advent_alignment, domain_loss_weights=dict(target=0.0))
    if 'auxiliary_head' not in advent or advent.auxiliary_head is None:
        base = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r101.py'))
        aux = copy.deepcopy(base.layer3_aux_head)
        if tiny:
            aux.update(in_channels=64, dilations=(2, 4, 6, 8))
        advent.auxiliary_head = aux
    multi = dict(constructor='MultiOptimWrapperConstructor', segmentor=SGD,
                 discriminators=adv.discriminator_optim_wrapper)
    size = TINY_SIZE if tiny else (640, 1280)
    adv_size = TINY_SIZE if tiny else (512, 1024)

    def two(h, w, n):
        return lambda: dict(source=batch(n, h, w, 0), target=batch(n, h, w, 1))

    return [
        dict(name='DeepLab-v2 R101, mmseg EncoderDecoder, 4 images', model=plain, optim=SGD,
             data=lambda: batch(4, *size, 0), size=size),
        dict(name='DeepLab-v2 R101, TwoDomainSegmentor, 2 + 2 images', model=v2, optim=SGD,
             data=two(*size, 2), size=size),
        dict(name='DeepLab-v3+ R101, TwoDomainSegmentor, 2 + 2 images', model=v3p, optim=SGD,
             data=two(*size, 2), size=size),
        dict(name='AdvEnt: DeepLab-v2 R101 + 2 discriminators, 1 + 1 images', model=advent,
             optim=multi, data=two(*adv_size, 1), size=adv_size),
    ]


def _amp(optim: dict, device: str) -> dict:
    """``optim`` with every optimiser wrapper under mixed precision."""
    from mmada.engine.optimizers.amp import enable_amp
    cfg = Config(dict(optim_wrapper=copy.deepcopy(optim)))
    enable_amp(cfg)
    return cfg.optim_wrapper.to_dict() if hasattr(cfg.optim_wrapper, 'to_dict') \
        else dict(cfg.optim_wrapper)


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def measure(case: dict, device: str, amp: bool, iters: int, warmup: int) -> dict:
    """Median ms per ``train_step`` and peak memory of one case."""
    from mmada.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmada'):
        torch.manual_seed(0)
        model = MODELS.build(copy.deepcopy(case['model'])).to(device)
        model.init_weights()
        model.train()
        optim = build_optim_wrapper(model, _amp(case['optim'], device) if amp
                                    else copy.deepcopy(case['optim']))
    data = case['data']()
    if device == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    steps = []
    for step in range(warmup + iters):
        _sync(device)
        with timed(into=steps if step >= warmup else None):
            model.train_step(data, optim)
            _sync(device)
    times = [t.wall for t in steps]
    peak = torch.cuda.max_memory_allocated() if device == 'cuda' else None
    del model, optim
    if device == 'cuda':
        torch.cuda.empty_cache()
    return dict(ms=1000 * statistics.median(times), peak=peak)


def render(rows: List[dict], args, device: str, cmd: str) -> str:
    """The results as the ``gpu`` section of ``docs/benchmarks.md``."""
    if device == 'cuda':
        what = (f'{torch.cuda.get_device_name()} (CUDA {torch.version.cuda}, '
                f'torch {torch.__version__})')
        note = ''
    else:
        what = f'CPU ({machine()})'
        note = (f'**CPU smoke run: tiny ResNet-18 stand-ins of the models at '
                f'{TINY_SIZE[1]}x{TINY_SIZE[0]}, one step each. These are not GPU numbers**; '
                'run the script on a CUDA device for them.')
    lines = [f'<!-- {MARK}:start -->', '## Training steps at the papers\' settings (GPU)', '',
             f'`{cmd}`; device: {what}; median of {args.iters} steps after {args.warmup} '
             'warm-up steps, random initial weights, random images and labels, SGD (the '
             'discriminators: Adam).', '']
    if note:
        lines += [note, '']
    lines += ['| model | input | ms / step, AMP off | ms / step, AMP on | peak GPU memory, '
              'off / on |', '|---|---|---:|---:|---:|']
    for row in rows:
        h, w = row['size']
        off, on = row['off'], row['on']
        peak = ('n/a (CPU)' if off['peak'] is None else
                f'{off["peak"] / 2**30:.2f} / {on["peak"] / 2**30:.2f} GiB')
        lines.append(f'| {row["name"]} | {w}x{h} | {off["ms"]:.1f} | {on["ms"]:.1f} | {peak} |')
    base = rows[0]['off']['ms']
    lines += ['', f'TwoDomainSegmentor 2 + 2 / EncoderDecoder 4 images, AMP off: '
              f'{rows[1]["off"]["ms"] / base:.3f}x.', f'<!-- {MARK}:end -->']
    return '\n'.join(lines) + '\n'


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', choices=['cuda', 'cpu'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', default=None)
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('error: --device cuda, but torch sees no CUDA device', file=sys.stderr)
        return 1
    tiny = args.device == 'cpu'
    if tiny:  # a smoke run: one step of each
        args.iters, args.warmup = 1, 0
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)  # init_weights' report
    rows = []
    for case in cases(tiny):
        row = dict(name=case['name'], size=case['size'])
        for amp in (False, True):
            row['on' if amp else 'off'] = measure(case, args.device, amp, args.iters,
                                                  args.warmup)
        print(row, flush=True)
        rows.append(row)
    cmd = 'python tools/benchmarks/gpu.py ' + ' '.join(argv if argv is not None else sys.argv[1:])
    section = render(rows, args, args.device, cmd.replace('--out docs/benchmarks.md', '').strip())
    print(section)
    if args.out:
        write_section(args.out, section, MARK)
    return 0


if __name__ == '__main__':
    sys.exit(main())
