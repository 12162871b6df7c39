"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``."""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse

from mmada.utils import (  # noqa: E402
    UserFacingError, add_launch_args, build_runner, finish_distributed, load_cfg, prepare_cfg,
    run_tool)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dir to save the predicted label maps')
    parser.add_argument('--show-dir', help='dir to save painted predictions')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    parser.add_argument('--no-tta', action='store_true',
                        help='no test time augmentation, even if the config has '
                        'test_flip_by_default (the RIPU-lineage configs)')
    add_launch_args(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cfg = load_cfg(args)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        vis = cfg.default_hooks.visualization
        vis.draw = True
        vis.show_dir = args.show_dir
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    if (args.tta or cfg.get('test_flip_by_default', False)) and not args.no_tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    try:
        prepare_cfg(cfg, train_data=False)
        build_runner(cfg).test()
    except UserFacingError as err:
        print(f'error: {err}', file=sys.stderr)
        finish_distributed(synchronize=False)
        return 1
    finish_distributed()
    return 0


if __name__ == '__main__':
    run_tool(main)
