"""Run a multi-stage pipeline: ``python tools/pipeline.py PIPELINE [options]``.

PIPELINE is a pipeline file (``configs/pipelines/*.py``: ordered ``stages``,
each a training run, an offline selection round or a tool, whose inputs are
earlier stages' outputs; see :mod:`mmada.engine.pipeline`). A rerun skips the
finished stages and resumes an interrupted one; ``--only STAGE`` runs one stage
alone from the outputs of the earlier ones; a stage whose input is missing
stops before any work and names the command that produces it.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse

from mmengine.config import DictAction

from mmada.engine.pipeline import Pipeline  # noqa: E402
from mmada.utils import UserFacingError  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run a multi-stage pipeline')
    parser.add_argument('pipeline', help='pipeline file (configs/pipelines/*.py)')
    parser.add_argument('--work-dir', help='root work dir (default: the file\'s work_dir)')
    parser.add_argument('--only', nargs='+', default=(), metavar='STAGE',
                        help='run these stages only (their inputs must exist)')
    parser.add_argument('--from', dest='start', metavar='STAGE', help='first stage to run')
    parser.add_argument('--until', metavar='STAGE', help='last stage to run')
    parser.add_argument('--dry-run', action='store_true',
                        help='print what would run (and check inputs), start nothing')
    parser.add_argument('--nproc', type=int, default=1,
                        help='processes per train / select stage (torchrun)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override keys of the pipeline file, e.g. '
                        'stages.select.config=OTHER.py work_dir=DIR')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    try:
        pipeline = Pipeline(args.pipeline, args.work_dir, args.cfg_options)
        names = pipeline.select(args.only, args.start, args.until)
        return pipeline.run(names, nproc=args.nproc, dry_run=args.dry_run,
                            log=lambda msg: print(msg, flush=True))
    except UserFacingError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
