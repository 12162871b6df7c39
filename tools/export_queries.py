"""Export the queries of an active-learning round for human annotation.

Example::

    python tools/export_queries.py work_dirs/my_run --round 2 \
        --out annotate/round_2 --data-root data/cityscapes --preview

Writes ``masks/`` (255 where queried) and ``manifest.json`` (image paths,
queried [row, col] coordinates, budget) into ``--out``; rounds of a point unit
(``GridPointsUnit``), or ``--format points``, write per image a JSON list of
[x, y] points and an overlay picture instead (mmada/active/annotation_points.py).
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse
from typing import List, Optional

from mmada.active.annotation_io import (AnnotationError, export_queries,
                                        find_store)
from mmada.active.annotation_points import export_point_queries
from mmada.active.label_store import LabelStoreError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Export the queries of a round as PNG masks + manifest')
    parser.add_argument(
        'store',
        help='work dir of the run (holding active_labels/) or the label '
        'store folder itself')
    parser.add_argument(
        '--round',
        type=int,
        default=None,
        help='round to export (default: the pending round, i.e. the '
        'current round + 1)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--data-root',
        default=None,
        help='folder the image keys are relative to (default: keys are '
        'used as paths)')
    parser.add_argument(
        '--preview',
        action='store_true',
        help='also write the queried pixels over the images (masks format; '
        'the points format always draws its overlays)')
    parser.add_argument(
        '--format',
        choices=('auto', 'masks', 'points'),
        default='auto',
        help="'masks' (PNG per image), 'points' (JSON [x, y] list per image); "
        "'auto' (default): the format the round's unit asks for")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool.

    Returns:
        int: Exit code (1 on invalid input).
    """
    args = parse_args(argv)
    try:
        store = find_store(args.store)
        round_index = (
            store.current_round + 1 if args.round is None else args.round)
        queries = store.load_queries(round_index)
        keys = queries.queries
        fmt = (queries.meta.get('query_format', 'masks')
               if args.format == 'auto' else args.format)
        paths = {
            key: key if args.data_root is None else osp.join(
                args.data_root, key)
            for key in keys
        }
        if fmt == 'points':
            manifest = export_point_queries(store, round_index, args.out, paths)
        else:
            manifest = export_queries(store, round_index, args.out, paths,
                                      args.preview)
    except (AnnotationError, LabelStoreError, OSError) as e:
        print(f'error: {e}'.replace('\n', ' '), file=sys.stderr)
        return 1
    print(f'exported {len(keys)} image(s) of round {round_index} as {fmt} '
          f'to {manifest}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
