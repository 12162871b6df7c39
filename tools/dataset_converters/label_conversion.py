"""Machinery shared by the label converters of this folder.

Each converter (``gta5.py``, ``synthia.py``, ``synscapes.py``,
``cityscapes.py``) only says where its images and label-id maps are and which
id table applies; this module

* checks the folder (:func:`pair_files`), failing with one message that names
  what is missing (:class:`ConversionError`, exit code 1, no traceback);
* writes ``*_labelTrainIds.png`` next to every label map, in parallel
  (``--nproc``) with a progress bar, skipping outputs newer than their source
  unless ``--force`` (:func:`convert_all`);
* writes ``sample_class_stats.json`` (``{label file: {train id: pixels}}``,
  paths relative to the dataset root) and prints a per-class summary.

The id tables live in :mod:`mmada.datasets.utils`.
"""
import argparse
import json
import os
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

# Runs from a checkout without installing mmada too.
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmada.datasets.utils import (  # noqa: E402
    CITYSCAPES_CLASSES, CITYSCAPES_ID_TO_TRAINID, DOCS_PAGE,
    SYNTHIA_ID_TO_TRAINID, class_pixel_counts, id_lut, image_size,
    to_train_ids)

STATS_FILE = 'sample_class_stats.json'
TRAIN_ID_SUFFIX = '_labelTrainIds.png'

# name -> (id table, table size); looked up inside the worker processes.
ID_TABLES = {
    'cityscapes': (CITYSCAPES_ID_TO_TRAINID, 256),
    'synthia': (SYNTHIA_ID_TO_TRAINID, 65536),
}
_LUTS: Dict[str, np.ndarray] = {}


class ConversionError(Exception):
    """A problem the user must fix; its message is printed without traceback."""


@dataclass
class Job:
    """Conversion of one label map.

    Attributes:
        src: Label-id map.
        dst: Train-id map to write.
        key: Name of ``dst`` in the stats file (relative to the root).
        table: Key of :data:`ID_TABLES`.
        reader: ``'pil'`` (8-bit or palette PNG: the pixel value is the id) or
            ``'first_channel16'`` (16-bit PNG, id in the first channel).
        image: Image whose size the label must match, or ``None``.
        force: Convert even if ``dst`` is newer than ``src``.
        counts: Class counts of ``dst`` from a previous run, if still valid.
    """
    src: str
    dst: str
    key: str
    table: str
    reader: str = 'pil'
    image: Optional[str] = None
    force: bool = False
    counts: Optional[Dict[int, int]] = None


@dataclass
class Result:
    """Outcome of one :class:`Job`."""
    key: str
    counts: Optional[Dict[int, int]] = None
    converted: bool = False
    image_size: Optional[Tuple[int, int]] = None
    label_size: Optional[Tuple[int, int]] = None
    error: Optional[str] = None


def read_label_ids(path: str, reader: str) -> np.ndarray:
    """Read a label-id map as an integer array of shape (H, W).

    Args:
        path: PNG file.
        reader: ``'pil'`` or ``'first_channel16'`` (see :class:`Job`).

    Returns:
        np.ndarray: The ids.
    """
    if reader == 'first_channel16':
        import cv2
        arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if arr is None:
            raise ValueError('not a readable image')
        # OpenCV returns BGR(A): the first (red) channel is index 2.
        return arr[..., 2] if arr.ndim == 3 else arr
    with Image.open(path) as img:
        if img.mode not in ('L', 'P', 'I', 'I;16'):
            raise ValueError(f'expected a single-channel label-id PNG, got '
                             f'mode {img.mode} (a colour visualisation?)')
        return np.array(img)


def _lut(table: str) -> np.ndarray:
    if table not in _LUTS:
        mapping, size = ID_TABLES[table]
        _LUTS[table] = id_lut(mapping, size)
    return _LUTS[table]


def up_to_date(src: str, dst: str) -> bool:
    """Whether ``dst`` exists and is at least as new as ``src``."""
    return osp.exists(dst) and osp.getmtime(dst) >= osp.getmtime(src)


def convert_one(job: Job) -> Result:
    """Run one job (in a worker); errors are returned, not raised."""
    try:
        result = Result(key=job.key)
        if job.image is not None:
            result.image_size = image_size(job.image)
        if not job.force and up_to_date(job.src, job.dst):
            result.label_size = image_size(job.dst)
            if job.counts is not None:
                result.counts = job.counts
            else:
                with Image.open(job.dst) as img:
                    result.counts = class_pixel_counts(np.array(img))
            return result
        train_ids = to_train_ids(read_label_ids(job.src, job.reader),
                                 _lut(job.table))
        tmp = job.dst + '.part'
        Image.fromarray(train_ids).save(tmp, format='PNG')
        os.replace(tmp, job.dst)
        result.converted = True
        result.label_size = (train_ids.shape[1], train_ids.shape[0])
        result.counts = class_pixel_counts(train_ids)
        return result
    except Exception as e:  # reported together after the run
        return Result(key=job.key, error=f'{job.src}: {e}')


def list_files(folder: str, suffix: str, exclude: str = TRAIN_ID_SUFFIX,
               recursive: bool = False) -> List[str]:
    """Sorted files under ``folder`` ending in ``suffix`` (relative paths)."""
    found = []
    if recursive:
        for dirpath, _, names in os.walk(folder):
            rel = osp.relpath(dirpath, folder)
            for n in names:
                if n.endswith(suffix) and not n.endswith(exclude):
                    found.append(n if rel == '.' else osp.join(rel, n))
    else:
        with os.scandir(folder) as it:
            found = [e.name for e in it if e.is_file()
                     and e.name.endswith(suffix)
                     and not e.name.endswith(exclude)]
    return sorted(found)


def require_dirs(dataset: str, root: str, subdirs: Sequence[str],
                 anchor: str) -> None:
    """Fail with one message listing every missing folder."""
    if not osp.isdir(root):
        raise ConversionError(
            f'{dataset}: folder "{root}" does not exist.\n'
            f'See {DOCS_PAGE}#{anchor} for where to download {dataset} and '
            'the expected layout.')
    missing = [d for d in subdirs if not osp.isdir(osp.join(root, d))]
    if missing:
        raise ConversionError(
            f'{dataset}: "{root}" is not a {dataset} folder; missing: ' +
            ', '.join(f'"{osp.join(root, d)}/"' for d in missing) +
            f'.\nSee {DOCS_PAGE}#{anchor} for the expected layout.')


def pair_files(dataset: str, root: str, img_dir: str, img_suffix: str,
               label_dir: str, label_suffix: str, anchor: str,
               recursive: bool = False) -> List[Tuple[str, str]]:
    """Pair every image with its label-id map, or fail naming what is missing.

    Args:
        dataset: Human name, for messages.
        root: Dataset root.
        img_dir: Image folder relative to ``root``.
        img_suffix: Image suffix; the stem before it names the sample.
        label_dir: Label folder relative to ``root``.
        label_suffix: Label suffix.
        anchor: Section of ``docs/datasets.md``.
        recursive: Search sub-folders (Cityscapes' cities).

    Returns:
        list: ``(image_path, label_path)`` pairs, sorted.
    """
    require_dirs(dataset, root, [img_dir, label_dir], anchor)
    img_root, label_root = osp.join(root, img_dir), osp.join(root, label_dir)
    images = {f[:-len(img_suffix)]: f
              for f in list_files(img_root, img_suffix, recursive=recursive)}
    labels = {f[:-len(label_suffix)]: f
              for f in list_files(label_root, label_suffix,
                                  recursive=recursive)}
    problems = []
    if not images:
        problems.append(f'no images "*{img_suffix}" in "{img_root}/"')
    if not labels:
        problems.append(f'no label maps "*{label_suffix}" in "{label_root}/"')
    no_label = sorted(set(images) - set(labels))
    no_image = sorted(set(labels) - set(images))
    if images and labels and no_label:
        problems.append(
            f'{len(no_label)} of {len(images)} images have no label map in '
            f'"{label_root}/", e.g. ' + ', '.join(
                f'"{n}{label_suffix}"' for n in no_label[:3]))
    if images and labels and no_image:
        problems.append(
            f'{len(no_image)} label maps have no image in "{img_root}/", '
            'e.g. ' + ', '.join(f'"{n}{img_suffix}"' for n in no_image[:3]))
    if problems:
        raise ConversionError(
            f'{dataset}: incomplete folder "{root}":\n' +
            '\n'.join(f'  - {p}' for p in problems) +
            f'\nSee {DOCS_PAGE}#{anchor} for the expected layout.')
    return [(osp.join(img_root, images[n]), osp.join(label_root, labels[n]))
            for n in sorted(images)]


def train_id_path(label_path: str, label_suffix: str) -> str:
    """``x<label_suffix>`` -> ``x_labelTrainIds.png``."""
    return label_path[:-len(label_suffix)] + TRAIN_ID_SUFFIX


def load_previous_stats(
        root: str, force: bool) -> Dict[str, Tuple[Dict[int, int], float]]:
    """Counts of the last run and the stats file's mtime."""
    path = osp.join(root, STATS_FILE)
    if force or not osp.isfile(path):
        return {}
    try:
        with open(path) as f:
            stats = json.load(f)
        mtime = osp.getmtime(path)
    except (OSError, ValueError):
        return {}
    return {key: ({int(c): n for c, n in counts.items()}, mtime)
            for key, counts in stats.items()}


def make_jobs(root: str, pairs: Sequence[Tuple[str, str]], label_suffix: str,
              table: str, force: bool, reader: str = 'pil',
              check_size: bool = False) -> List[Job]:
    """One :class:`Job` per pair, reusing still-valid counts of a last run."""
    previous = load_previous_stats(root, force)
    jobs = []
    for img, src in pairs:
        dst = train_id_path(src, label_suffix)
        key = osp.relpath(dst, root)
        counts = None
        if key in previous and osp.exists(dst) and \
                previous[key][1] >= osp.getmtime(dst):
            counts = previous[key][0]
        jobs.append(Job(src=src, dst=dst, key=key, table=table, reader=reader,
                        image=img if check_size else None, force=force,
                        counts=counts))
    return jobs


def convert_all(jobs: Sequence[Job], nproc: int = 1) -> List[Result]:
    """Run the jobs with a progress bar; fail listing every broken file."""
    if nproc > 1:
        results = track_parallel_progress(
            convert_one, list(jobs), nproc, chunksize=16)
    else:
        results = track_progress(convert_one, list(jobs))
    errors = [r.error for r in results if r.error]
    if errors:
        raise ConversionError(
            f'{len(errors)} label map(s) could not be converted:\n' +
            '\n'.join(f'  - {e}' for e in errors[:10]) +
            ('\n  ...' if len(errors) > 10 else ''))
    return results


def write_stats(root: str, results: Sequence[Result]) -> str:
    """Write ``sample_class_stats.json``: ``{file: {train_id: pixels}}``."""
    path = osp.join(root, STATS_FILE)
    stats = {r.key: {str(c): n for c, n in sorted(r.counts.items())}
             for r in results}
    with open(path, 'w') as f:
        json.dump(stats, f, indent=0, sort_keys=True)
    return path


def summary(results: Sequence[Result],
            classes: Sequence[str] = CITYSCAPES_CLASSES) -> str:
    """Per-class share of labelled pixels and number of images, as text."""
    pixels = np.zeros(len(classes), dtype=np.int64)
    images = np.zeros(len(classes), dtype=np.int64)
    for r in results:
        for c, n in r.counts.items():
            pixels[c] += n
            images[c] += 1
    total = max(int(pixels.sum()), 1)
    converted = sum(r.converted for r in results)
    lines = [f'{len(results)} label maps: {converted} converted, '
             f'{len(results) - converted} up to date',
             f'{"class":<14}{"pixels %":>10}{"images":>9}']
    for name, p, i in zip(classes, pixels, images):
        lines.append(f'{name:<14}{100 * p / total:>10.3f}{i:>9d}')
    return '\n'.join(lines)


def base_parser(description: str, default_root: str) -> argparse.ArgumentParser:
    """Arguments common to every converter."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        'root', nargs='?', default=default_root,
        help=f'dataset root in its official layout (default: {default_root})')
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of worker processes')
    parser.add_argument(
        '--force', action='store_true',
        help='convert again even where the output is newer than its source')
    return parser


def run_main(convert: Callable[[argparse.Namespace], None],
             parser: argparse.ArgumentParser,
             argv: Optional[Sequence[str]] = None) -> int:
    """Parse, convert, and turn :class:`ConversionError` into exit code 1."""
    args = parser.parse_args(argv)
    try:
        convert(args)
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0
