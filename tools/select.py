"""Run one acquisition round offline from a checkpoint.

``python tools/select.py CONFIG CHECKPOINT --work-dir DIR [--export]``

Scores the target pool of CONFIG with the weights of CHECKPOINT and commits
the next round of the label store in ``DIR/active_labels`` (asking the
config's oracle), or, with ``--export``, writes the queries for annotators
to ``DIR/queries/round_XXXX`` (import them with tools/import_annotations.py).
Works distributed too: ``torchrun --nproc_per_node 2 tools/select.py ...
--launcher pytorch`` gives the same selection.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse

from mmada.engine.hooks import ActiveLearningHook  # noqa: E402
from mmada.utils import (  # noqa: E402
    UserFacingError, add_launch_args, build_runner, finish_distributed, load_cfg, prepare_cfg,
    run_tool)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Offline acquisition round')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', required=True,
                        help='folder holding (or to hold) active_labels/')
    parser.add_argument('--export', action='store_true',
                        help='export queries for human annotators instead of '
                        'asking the config oracle')
    add_launch_args(parser)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    cfg = load_cfg(args)
    cfg.load_from, cfg.resume = None, False
    if args.export:
        cfg.setdefault('active_learning', {})['oracle'] = dict(type='ExportOracle')
    try:
        prepare_cfg(cfg)
        runner = build_runner(cfg)
        hooks = [h for h in runner.hooks if isinstance(h, ActiveLearningHook)]
        if not hooks:
            raise UserFacingError(f'{args.config} has no ActiveLearningHook')
        hook = hooks[0]
        hook.attach(runner, archive_existing=False)
        runner.load_checkpoint(args.checkpoint, map_location='cpu')
        round_index = hook.store.current_round + 1
        if round_index > len(hook.rounds):
            raise UserFacingError(f'all {len(hook.rounds)} rounds of the schedule are done')
        record = hook.run_round(runner.model, round_index, runner.work_dir, runner.logger)
    except UserFacingError as err:
        print(f'error: {err}', file=sys.stderr)
        finish_distributed(synchronize=False)
        return 1
    finish_distributed()
    if record.get('digest'):
        print(f'round {round_index} committed: {record["labelled_pixels"]} pixels '
              f'labelled, digest {record["digest"]}')
    return 0


if __name__ == '__main__':
    run_tool(main)
