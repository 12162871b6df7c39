"""Import human annotations of an active-learning round into the store.

Example::

    python tools/import_annotations.py work_dirs/my_run/active_labels \
        --round 2 annotate/round_2_labels

Rounds of a point unit (or ``--format points``) read one JSON list of
{"x", "y", "class"} per image instead of PNGs. Every annotation is validated
first; on any problem nothing is written and
the tool exits with code 1.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse
from typing import List, Optional

from mmada.active.annotation_io import (AnnotationError, find_store,
                                        import_annotations)
from mmada.active.annotation_points import import_point_annotations
from mmada.active.label_store import LabelStoreError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Validate annotation PNGs of a round and commit them')
    parser.add_argument(
        'store',
        help='label store folder (<work_dir>/active_labels) or the work dir')
    parser.add_argument(
        '--round', type=int, required=True, help='round to import')
    parser.add_argument('ann_dir', help='folder of the annotation PNGs (or JSON files)')
    parser.add_argument(
        '--format',
        choices=('auto', 'masks', 'points'),
        default='auto',
        help="'masks' (PNGs), 'points' (JSON lists); 'auto' (default): the "
        "format the round's unit asks for")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool.

    Returns:
        int: Exit code (1 on invalid input).
    """
    args = parse_args(argv)
    try:
        store = find_store(args.store)
        fmt = args.format
        if fmt == 'auto':
            fmt = store.load_queries(args.round).meta.get('query_format', 'masks')
        reader = import_point_annotations if fmt == 'points' else import_annotations
        digest = reader(store, args.round, args.ann_dir)
    except (AnnotationError, LabelStoreError, OSError) as e:
        print(f'error: {e}'.replace('\n', ' '), file=sys.stderr)
        return 1
    budget = store.budget_spent()
    print(f'committed round {args.round} to {store.root}: '
          f'{store.num_labelled()} labelled pixel(s), {budget["pixels"]} '
          f'queried in total, digest {digest[:12]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
