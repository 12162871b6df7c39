"""Point queries for annotators who click points (point supervision).

The points format of ``tools/export_queries.py`` (chosen for rounds of a point
unit, e.g. :class:`~mmada.active.GridPointsUnit`, or with ``--format
points``) writes into ``out_dir``::

    manifest.json                 # format 'mmada.point_queries', per image:
                                  # key, image, points file, answer file, shape
    points/<key without ext>.json # [[x, y], ...] in image coordinates
    overlays/<key ...>.png        # the points drawn over the image

``x`` is the column and ``y`` the row of the original image (the label store
keeps labels at the image's own size: the round refuses predictions of
another size). Images without a queried point are not exported.

The annotator returns, per exported image, ``<ann_dir>/<key without
ext>.json``: a list with one ``{"x": x, "y": y, "class": id}`` per queried
point, ``id`` in ``[0, num_classes)``, or ``null`` or 255 (void: budget
spent, no label). Import validates every file first (parseable, every entry at a
queried point, each point answered once, known class ids, no file for an
image that was not asked) and commits the round only if all are valid;
otherwise it raises :class:`AnnotationError` and the store is unchanged.
"""
import json
import os
import os.path as osp
import posixpath
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
from PIL import Image

from .annotation_io import (AnnotationError, _importable_queries, _names, _summary, _write_png,
                            relative_name)
from .label_store import LabelStore, RoundQueries

VOID = 255


def point_name(key: str) -> str:
    """Relative ``.json`` file name of an image key (see :func:`relative_name`)."""
    return posixpath.splitext(relative_name(key))[0] + '.json'


def _points(pixels: np.ndarray, width: int) -> List[List[int]]:
    """Flat indices as [x, y] (column, row) lists."""
    ys, xs = np.divmod(np.asarray(pixels, dtype=np.int64), width)
    return np.stack([xs, ys], axis=1).tolist()


def _read_rgb(image_path: str, shape: Tuple[int, int]) -> Optional[np.ndarray]:
    """The image as RGB, ``None`` if unreadable; a size other than the store's
    is refused (the points would not be in image coordinates)."""
    try:
        with Image.open(image_path) as img:
            rgb = np.asarray(img.convert('RGB'))
    except (OSError, ValueError):
        return None
    if rgb.shape[:2] != tuple(shape):
        raise AnnotationError(
            f'{image_path} is {rgb.shape[1]}x{rgb.shape[0]} (W x H) but its labels are '
            f'{shape[1]}x{shape[0]}: pass --data-root of the images the round scored')
    return rgb


def draw_points(rgb: np.ndarray, points: List[List[int]], radius: int = 2) -> np.ndarray:
    """The points as red squares with a white centre over the dimmed image.

    Args:
        rgb: (H, W, 3) uint8 image.
        points: [x, y] points.
        radius: Half side of a point's square.

    Returns:
        np.ndarray: (H, W, 3) uint8 overlay.
    """
    out = (rgb * 0.5).astype(np.uint8)
    height, width = out.shape[:2]
    for x, y in points:
        out[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1] = (255, 0, 0)
    for x, y in points:
        out[y, x] = (255, 255, 255)
    return out


def export_point_queries(store: LabelStore, round_index: int, out_dir: str,
                         image_paths: Optional[Mapping[str, str]] = None) -> str:
    """Write the point queries of a round (JSON points, overlays, manifest).

    Args:
        store: Label store holding the round's queries.
        round_index: Round to export.
        out_dir: Output folder.
        image_paths: key -> path of the image (``None``: the keys).

    Returns:
        str: Path of the written ``manifest.json``.
    """
    queries = store.load_queries(round_index)
    image_paths = image_paths if image_paths is not None else {}
    images = []
    for _, key in sorted(_names(list(queries.queries)).items()):
        shape, pixels = queries.queries[key]
        if not len(pixels):
            continue
        name, points = point_name(key), _points(pixels, shape[1])
        _write_json(points, osp.join(out_dir, 'points', name))
        image = image_paths.get(key, key)
        entry = dict(key=key, image=image, points=posixpath.join('points', name),
                     annotation=name, shape=list(shape), num_points=len(points))
        rgb = _read_rgb(image, shape)
        if rgb is not None:
            entry['overlay'] = posixpath.join('overlays', relative_name(key))
            _write_png(draw_points(rgb, points), osp.join(out_dir, entry['overlay']))
        images.append(entry)
    manifest = dict(
        format='mmada.point_queries', round=round_index, store=store.root,
        num_classes=store.num_classes, budget=dict(points=queries.num_pixels),
        meta=queries.meta,
        instructions=(
            'For every image, write <annotation dir>/<annotation>: a JSON list with one '
            '{"x": x, "y": y, "class": id} per point of <points> (x = column, y = row), '
            f'id in [0, {store.num_classes}) or null for void. Then run '
            f'tools/import_annotations.py {store.root} --round {round_index} <annotation dir>'),
        images=images)
    path = osp.join(out_dir, 'manifest.json')
    _write_json(manifest, path)
    return path


def _write_json(obj, path: str) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def _check_points(path: str, shape: Tuple[int, int], pixels: np.ndarray,
                  num_classes: int) -> np.ndarray:
    """Validate one answer file; return the (n,) uint8 answers in query order."""
    try:
        with open(path, encoding='utf-8') as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        raise AnnotationError(f'cannot be parsed as JSON ({e})') from e
    if not isinstance(entries, list):
        raise AnnotationError('expected a JSON list of {"x", "y", "class"} objects')
    width = shape[1]
    order = {int(p): i for i, p in enumerate(pixels)}
    answers = np.full(len(pixels), -1, dtype=np.int64)
    for n, entry in enumerate(entries):
        where = f'entry {n}'
        if not isinstance(entry, dict) or set(entry) != {'x', 'y', 'class'} or not all(
                type(entry[k]) is int for k in ('x', 'y')):
            raise AnnotationError(f'{where}: expected {{"x": int, "y": int, "class": int or '
                                  f'null}}, got {entry!r}')
        x, y, label = entry['x'], entry['y'], entry['class']
        i = order.get(y * width + x) if 0 <= x < width and 0 <= y < shape[0] else None
        if i is None:
            raise AnnotationError(f'{where}: (x={x}, y={y}) is not a queried point')
        if answers[i] >= 0:
            raise AnnotationError(f'{where}: (x={x}, y={y}) is answered twice')
        if label is None or label == VOID:
            label = VOID
        elif type(label) is not int or not 0 <= label < num_classes:
            raise AnnotationError(f'{where}: unknown class {label!r} at (x={x}, y={y}) '
                                  f'(valid: 0..{num_classes - 1}, or null or 255 for void)')
        answers[i] = label
    if (answers < 0).any():
        ys, xs = np.divmod(int(pixels[answers < 0][0]), width)
        raise AnnotationError(f'{int((answers < 0).sum())} queried point(s) not answered, '
                              f'e.g. (x={xs}, y={ys}) (give "class": null for void)')
    return answers.astype(np.uint8)


def read_point_annotations(store: LabelStore, round_index: int,
                           ann_dir: str) -> Tuple[RoundQueries, Dict[str, np.ndarray]]:
    """Read and validate the point answers of a round (nothing is written).

    Args:
        store: Label store holding the round's queries.
        round_index: Round the answers belong to (``store.current_round + 1``).
        ann_dir: Folder of the answer JSON files.

    Returns:
        tuple[RoundQueries, dict[str, np.ndarray]]: The queries and, per key,
        the (n,) uint8 answers in the order of the queried pixels.

    Raises:
        AnnotationError: Listing every problem found, with file names.
    """
    queries = _importable_queries(store, round_index, ann_dir)
    asked = {point_name(k): k for k, (_, pix) in queries.queries.items() if len(pix)}
    problems = [f'{rel}: not an image of the point queries of round {round_index}'
                for rel in _json_files(ann_dir) if rel not in asked]
    answers = {k: np.zeros(0, np.uint8) for k, (_, pix) in queries.queries.items()
               if not len(pix)}
    for name, key in sorted(asked.items()):
        path = osp.join(ann_dir, name)
        shape, pixels = queries.queries[key]
        if not osp.isfile(path):
            problems.append(f'{path}: missing (answers for {key!r})')
            continue
        try:
            answers[key] = _check_points(path, shape, pixels, store.num_classes)
        except AnnotationError as e:
            problems.append(f'{path}: {e}')
    if problems:
        raise AnnotationError(_summary(round_index, ann_dir, problems))
    return queries, answers


def _json_files(ann_dir: str) -> List[str]:
    """Relative posix paths of the ``.json`` files under ``ann_dir``."""
    found = []
    for folder, _, files in os.walk(ann_dir):
        found += [osp.relpath(osp.join(folder, f), ann_dir).replace(os.sep, '/')
                  for f in files if f.lower().endswith('.json')]
    return sorted(found)


def import_point_annotations(store: LabelStore, round_index: int, ann_dir: str) -> str:
    """Validate the point answers of a round, then commit it.

    Args:
        store: Label store holding the round's queries.
        round_index: Round the answers belong to.
        ann_dir: Folder of the answer JSON files.

    Returns:
        str: The store's digest after the commit.
    """
    queries, answers = read_point_annotations(store, round_index, ann_dir)
    meta = dict(queries.meta, oracle='import', annotations=osp.abspath(ann_dir))
    return store.commit_round(round_index, queries.to_updates(answers), meta)
