"""Train a segmentor: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]``.

Parses mmseg's flags and hands the config to the runner it names
(:func:`mmada.utils.build_runner`); all behaviour lives in registered mmada /
mmseg components.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse

from mmada.engine.optimizers.amp import check_amp_device, enable_amp, log_amp  # noqa: E402
from mmada.engine.resume import configure_resume  # noqa: E402
from mmada.utils import (  # noqa: E402
    AnnotationRequired, StoppedBySignal, UserFacingError, add_launch_args, build_runner,
    finish_distributed, load_cfg, prepare_cfg, run_tool)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CHECKPOINT',
        help='continue from the newest loadable checkpoint in the work dir, or '
        'start a fresh run there if it holds none (the log says which); with '
        'CHECKPOINT, resume from that file')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic-mixed-precision training (every optimiser of the config; '
        'bfloat16 on the CPU)')
    add_launch_args(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cfg = load_cfg(args)
    try:
        if args.amp:  # every optimiser of the config, one or an OptimWrapperDict
            log_amp(enable_amp(cfg))
        check_amp_device(cfg)
        configure_resume(cfg, args.resume)
        prepare_cfg(cfg)
        build_runner(cfg).train()
    except AnnotationRequired as stop:  # every rank stops at the same round
        print(f'stopped: {stop}')
    except StoppedBySignal as stop:  # every rank stops at the same iteration
        print(f'stopped: {stop}')
        finish_distributed()
        return 143
    except UserFacingError as err:
        print(f'error: {err}', file=sys.stderr)
        finish_distributed(synchronize=False)
        return 1
    finish_distributed()
    return 0


if __name__ == '__main__':
    run_tool(main)
