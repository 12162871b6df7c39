"""Export the queries of a round for human annotators, import their answers.

Export (``tools/export_queries.py``) writes into ``out_dir``::

    manifest.json                 # round, budget, and per image: key, image
                                  # path, mask path, expected annotation
                                  # path, shape, queried [row, col] list
    masks/<key without ext>.png   # 255 where queried, 0 elsewhere
    previews/<key ...>.png        # optional: queried pixels over the image

The annotator returns, for every image, a single-channel PNG of class ids at
the queried pixels and 255 everywhere else, at ``<ann_dir>/<key without
ext>.png`` (the ``annotation`` entry of the manifest). A queried pixel left at
255 is *void*: it counts as spent budget and stays unlabelled.

Import (``tools/import_annotations.py``) validates every file first and only
then commits the round; any problem raises :class:`AnnotationError` naming
the files and problems, and the store is left unchanged.
"""
import json
import os
import os.path as osp
import posixpath
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
from PIL import Image

from .label_store import LabelStore, LabelStoreError, RoundQueries

QUERIED = 255
MAX_LISTED_PROBLEMS = 20


class AnnotationError(ValueError):
    """Exported queries or returned annotations are invalid."""


def find_store(path: str) -> LabelStore:
    """Open the label store of a work dir or a label store folder.

    Args:
        path: ``<work_dir>`` (holding ``active_labels/``) or the store itself.

    Returns:
        LabelStore: The opened store.
    """
    candidates = (path, osp.join(path, 'active_labels'))
    for root in candidates:
        if LabelStore.exists(root):
            return LabelStore(root)
    raise LabelStoreError(
        f'no label store (manifest.json) in {" or ".join(candidates)}')


def relative_name(key: str) -> str:
    """File name (relative, ``.png``) used for an image key.

    ``leftImg8bit/train/a/a_1_leftImg8bit.png`` ->
    ``leftImg8bit/train/a/a_1_leftImg8bit.png``; ``x/y.jpg`` -> ``x/y.png``.

    Args:
        key: Image key.

    Returns:
        str: Posix relative path without ``..`` components.
    """
    parts = [
        p for p in key.replace('\\', '/').split('/')
        if p not in ('', '.', '..')
    ]
    if not parts:
        raise AnnotationError(f'cannot derive a file name from key {key!r}')
    stem = posixpath.splitext(posixpath.join(*parts))[0]
    return f'{stem}.png'


def _names(keys: List[str]) -> Dict[str, str]:
    """relative name -> key, rejecting collisions."""
    names: Dict[str, str] = {}
    for key in keys:
        name = relative_name(key)
        if name in names:
            raise AnnotationError(
                f'keys {names[name]!r} and {key!r} map to the same file name '
                f'{name!r}')
        names[name] = key
    return names


def _coords(pixels: np.ndarray, width: int) -> List[List[int]]:
    """Flat indices as [row, col] lists."""
    rows, cols = np.divmod(np.asarray(pixels, dtype=np.int64), width)
    return np.stack([rows, cols], axis=1).tolist()


def _write_png(array: np.ndarray, path: str) -> None:
    """Write a uint8 array as a PNG, creating the parent folder."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def _write_preview(image_path: str, mask: np.ndarray, path: str) -> bool:
    """Queried pixels in red over the dimmed image (skipped if unreadable).

    Returns:
        bool: Whether a preview was written.
    """
    try:
        with Image.open(image_path) as img:
            rgb = np.asarray(img.convert('RGB'))
    except (OSError, ValueError):
        return False
    if rgb.shape[:2] != mask.shape:
        return False
    preview = (rgb * 0.5).astype(np.uint8)
    preview[mask] = (255, 0, 0)
    _write_png(preview, path)
    return True


def export_queries(store: LabelStore,
                   round_index: int,
                   out_dir: str,
                   image_paths: Optional[Mapping[str, str]] = None,
                   preview: bool = False) -> str:
    """Write the queries of a round as masks plus a manifest.

    Args:
        store: Label store holding the round's queries.
        round_index: Round to export.
        out_dir: Output folder.
        image_paths: key -> path of the image shown to the annotator.
            ``None`` uses the keys.
        preview: Also write the queried pixels over the images.

    Returns:
        str: Path of the written ``manifest.json``.
    """
    queries = store.load_queries(round_index)
    names = _names(list(queries.queries))
    image_paths = image_paths if image_paths is not None else {}
    images = []
    for name, key in sorted(names.items()):
        shape, pixels = queries.queries[key]
        mask = np.zeros(shape, dtype=np.uint8)
        mask.reshape(-1)[pixels] = QUERIED
        mask_path = posixpath.join('masks', name)
        _write_png(mask, osp.join(out_dir, mask_path))
        image = image_paths.get(key, key)
        entry = dict(
            key=key,
            image=image,
            mask=mask_path,
            annotation=name,
            shape=list(shape),
            num_pixels=int(len(pixels)),
            coords=_coords(pixels, shape[1]))
        if preview and _write_preview(image, mask > 0,
                                      osp.join(out_dir, 'previews', name)):
            entry['preview'] = posixpath.join('previews', name)
        images.append(entry)
    path = osp.join(out_dir, 'manifest.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(_export_manifest(store, queries, images), f, indent=1)
    return path


def _export_manifest(store: LabelStore, queries: RoundQueries,
                     images: List[dict]) -> dict:
    """Content of an export's ``manifest.json``."""
    return dict(
        format='mmada.queries',
        round=queries.round_index,
        store=store.root,
        num_classes=store.num_classes,
        ignore_index=store.ignore_index,
        budget=dict(
            pixels=queries.num_pixels, units=queries.meta.get('units')),
        meta=queries.meta,
        instructions=(
            'For every image, write a single-channel PNG (mode L or P) of '
            'the same size at <annotation dir>/<annotation>: class ids in '
            f'[0, {store.num_classes}) at the queried pixels (255 in the '
            'mask), 255 everywhere else. A queried pixel left at 255 is void '
            '(budget spent, no label). Then run tools/import_annotations.py '
            f'{store.root} --round {queries.round_index} <annotation dir>'),
        images=images)


def _read_label_png(path: str) -> np.ndarray:
    """Read a single-channel label PNG.

    Raises:
        AnnotationError: The file cannot be parsed or is not single-channel.
    """
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            array = np.asarray(img)
    except (OSError, SyntaxError, ValueError) as e:
        raise AnnotationError(f'cannot be parsed as an image ({e})') from e
    if mode not in ('L', 'P', 'I', 'I;16') or array.ndim != 2:
        raise AnnotationError(
            f'expected a single-channel PNG of class ids (mode L or P), got '
            f'mode {mode}')
    return array.astype(np.int64)


def _check_annotation(array: np.ndarray, shape: Tuple[int, int],
                      pixels: np.ndarray, num_classes: int) -> np.ndarray:
    """Validate one annotation against its queries.

    Returns:
        np.ndarray: (n,) uint8 answers at the queried pixels.
    """
    if array.shape != tuple(shape):
        raise AnnotationError(
            f'shape {array.shape} differs from the queried image shape '
            f'{tuple(shape)}')
    flat = array.reshape(-1)
    answers = flat[pixels]
    bad = (answers != QUERIED) & ((answers < 0) | (answers >= num_classes))
    if bad.any():
        row, col = divmod(int(pixels[bad][0]), shape[1])
        raise AnnotationError(
            f'{int(bad.sum())} queried pixel(s) hold unknown class ids '
            f'(valid: 0..{num_classes - 1} or 255), e.g. '
            f'{int(answers[bad][0])} at [row {row}, col {col}]')
    outside = flat != QUERIED
    outside[pixels] = False
    if outside.any():
        row, col = divmod(int(np.flatnonzero(outside)[0]), shape[1])
        raise AnnotationError(
            f'{int(outside.sum())} labelled pixel(s) outside the queried '
            f'pixels (must be 255), e.g. at [row {row}, col {col}]')
    return answers.astype(np.uint8)


def _unexpected_files(ann_dir: str, names: Mapping[str, str]) -> List[str]:
    """PNG files under ``ann_dir`` that answer no query."""
    extra = []
    for folder, _, files in os.walk(ann_dir):
        for file in files:
            if not file.lower().endswith('.png'):
                continue
            rel = osp.relpath(osp.join(folder, file), ann_dir)
            if rel.replace(os.sep, '/') not in names:
                extra.append(rel)
    return sorted(extra)


def _importable_queries(store: LabelStore, round_index: int, ann_dir: str) -> RoundQueries:
    """The queries of the round an import may answer (the next uncommitted one).

    Args:
        store: Label store holding the round's queries.
        round_index: Round the answers belong to.
        ann_dir: Folder of the answers.

    Returns:
        RoundQueries: The queries of ``round_index``.

    Raises:
        AnnotationError: Another round than ``store.current_round + 1``, or
            a missing answer folder.
    """
    if round_index != store.current_round + 1:
        raise AnnotationError(
            f'cannot import round {round_index}: the store {store.root} has '
            f'{store.current_round} committed round(s); only round '
            f'{store.current_round + 1} can be imported')
    if not osp.isdir(ann_dir):
        raise AnnotationError(f'annotation folder {ann_dir} does not exist')
    return store.load_queries(round_index)


def read_annotations(store: LabelStore, round_index: int,
                     ann_dir: str) -> Tuple[RoundQueries, Dict[str,
                                                               np.ndarray]]:
    """Read and validate the annotations of a round (nothing is written).

    Args:
        store: Label store holding the round's queries.
        round_index: Round the annotations answer.
        ann_dir: Folder of the annotation PNGs.

    Returns:
        tuple[RoundQueries, dict[str, np.ndarray]]: The queries and, per
        key, the (n,) uint8 answers at the queried pixels.

    Raises:
        AnnotationError: Listing every problem found, with file names.
    """
    queries = _importable_queries(store, round_index, ann_dir)
    names = _names(list(queries.queries))
    problems = [
        f'{rel}: not an image of the queries of round {round_index}'
        for rel in _unexpected_files(ann_dir, names)
    ]
    answers = {}
    for name, key in sorted(names.items()):
        path = osp.join(ann_dir, name)
        shape, pixels = queries.queries[key]
        if not osp.isfile(path):
            problems.append(f'{path}: missing (annotation of {key!r})')
            continue
        try:
            answers[key] = _check_annotation(
                _read_label_png(path), shape, pixels, store.num_classes)
        except AnnotationError as e:
            problems.append(f'{path}: {e}')
    if problems:
        raise AnnotationError(_summary(round_index, ann_dir, problems))
    return queries, answers


def _summary(round_index: int, ann_dir: str, problems: List[str]) -> str:
    """One error message listing the problems of an import."""
    listed = problems[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(listed)
    text = '\n  '.join(listed + ([f'... and {more} more'] if more else []))
    return (f'annotations of round {round_index} in {ann_dir} rejected, the '
            f'label store is unchanged; {len(problems)} problem(s):\n  {text}')


def import_annotations(store: LabelStore, round_index: int,
                       ann_dir: str) -> str:
    """Validate the annotations of a round, then commit it.

    Args:
        store: Label store holding the round's queries.
        round_index: Round the annotations answer
            (``store.current_round + 1``).
        ann_dir: Folder of the annotation PNGs.

    Returns:
        str: The store's digest after the commit.
    """
    queries, answers = read_annotations(store, round_index, ann_dir)
    meta = dict(
        queries.meta, oracle='import', annotations=osp.abspath(ann_dir))
    return store.commit_round(round_index, queries.to_updates(answers), meta)
