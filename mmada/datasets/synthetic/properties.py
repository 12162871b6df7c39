"""Measured properties of a generated synthetic benchmark (issue 15, item 1).

Everything is measured on the written files, whatever the preset:

* **long tail**: pixel share of every class per domain (train splits), the
  classes under ``TAIL_SHARE`` percent of the target pixels, the share of
  target images that contain each class and the share of its pixels in the
  10 % of images holding most of it (how concentrated it is);
* **small and thin objects**: per class, the median area of its connected
  components and the fraction of its pixels on a class boundary (a pixel
  with a 4-neighbour of another class; 1.0 = nothing but edges);
* **class-dependent domain shift**: the distance between a class's mean
  colour in the source and in the target, and the recall of a nearest-mean
  colour classifier on target val with the *source* means (what transfers)
  against the same classifier with the *target* means;
* **images of different difficulty**: per target training image, the pixel
  accuracy of the nearest-target-mean colour classifier (how separable its
  classes are by colour) as 10/50/90th percentiles, and its rank
  correlation with the drawn difficulty when the preset draws one.
"""
import glob
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .scene import CLASSES, NUM_CLASSES

TAIL_SHARE = 0.5  # percent of the target training pixels


def _pairs(root: str, domain: str, split: str) -> List[Tuple[str, str]]:
    segs = sorted(glob.glob(osp.join(root, domain, 'gtFine', split, 'synth', '*.png')))
    return [(s.replace('/gtFine/', '/leftImg8bit/').replace(
        '_gtFine_labelTrainIds.png', '_leftImg8bit.png'), s) for s in segs]


def _read(pair: Tuple[str, str]) -> Tuple[np.ndarray, np.ndarray]:
    img = cv2.imread(pair[0], cv2.IMREAD_COLOR)[..., ::-1].astype(np.float64)
    return img, cv2.imread(pair[1], cv2.IMREAD_UNCHANGED)


def _colour_sums(img: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(C, 4): per class the RGB sums and the pixel count."""
    flat = label.ravel()
    sums = [np.bincount(flat, img[..., k].ravel(), NUM_CLASSES)[:NUM_CLASSES]
            for k in range(3)]
    return np.stack(sums + [np.bincount(flat, minlength=NUM_CLASSES)[:NUM_CLASSES]], 1)


def _boundary(label: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another class."""
    edge = np.zeros(label.shape, bool)
    dx = label[:, 1:] != label[:, :-1]
    dy = label[1:] != label[:-1]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:] |= dy
    edge[:-1] |= dy
    return edge


def _nearest_mean(img: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Class of the nearest mean colour per pixel (every 2nd row and column)."""
    px = img[::2, ::2].reshape(-1, 3)
    valid = np.isfinite(means).all(1)
    dist = ((px[:, None, :] - means[None, valid]) ** 2).sum(-1)
    return np.flatnonzero(valid)[dist.argmin(1)]


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (no tie correction)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _domain_stats(root: str, domain: str) -> dict:
    """Colour sums, per-image counts, component areas, boundary counts (train)."""
    colour = np.zeros((NUM_CLASSES, 4))
    per_image, boundary = [], np.zeros(NUM_CLASSES)
    areas: List[List[int]] = [[] for _ in range(NUM_CLASSES)]
    for pair in _pairs(root, domain, 'train'):
        img, label = _read(pair)
        colour += _colour_sums(img, label)
        per_image.append(np.bincount(label.ravel(), minlength=NUM_CLASSES)[:NUM_CLASSES])
        boundary += np.bincount(label[_boundary(label)], minlength=NUM_CLASSES)[:NUM_CLASSES]
        for c in np.unique(label):
            if c < NUM_CLASSES:
                n, _, stats, _ = cv2.connectedComponentsWithStats(
                    (label == c).astype(np.uint8), connectivity=8)
                areas[c].extend(stats[1:n, cv2.CC_STAT_AREA].tolist())
    return dict(colour=colour, per_image=np.array(per_image), boundary=boundary,
                areas=areas)


def _concentration(per_image: np.ndarray) -> np.ndarray:
    """Percent of each class's pixels in the top 10 % of images for it."""
    top = max(1, int(round(0.1 * len(per_image))))
    best = -np.sort(-per_image, axis=0)[:top].sum(0)
    return 100 * best / np.maximum(per_image.sum(0), 1)


def _recalls(root: str, means: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Per-class recall on target val of nearest-mean classifiers."""
    hits = {k: np.zeros(NUM_CLASSES) for k in means}
    total = np.zeros(NUM_CLASSES)
    for pair in _pairs(root, 'target', 'val'):
        img, label = _read(pair)
        gt = label[::2, ::2].ravel()
        total += np.bincount(gt, minlength=NUM_CLASSES)[:NUM_CLASSES]
        for k, m in means.items():
            pred = _nearest_mean(img, m)
            hits[k] += np.bincount(gt[pred == gt], minlength=NUM_CLASSES)[:NUM_CLASSES]
    return {k: 100 * v / np.maximum(total, 1) for k, v in hits.items()}


def _separability(root: str, means: np.ndarray) -> np.ndarray:
    """Per target training image: pixel accuracy of the nearest-mean classifier."""
    acc = []
    for pair in _pairs(root, 'target', 'train'):
        img, label = _read(pair)
        acc.append(100 * float((_nearest_mean(img, means) == label[::2, ::2].ravel()).mean()))
    return np.array(acc)


def measure_properties(root: str,
                       difficulty: Optional[Dict[str, List[float]]] = None) -> dict:
    """Measure the issue-15 properties of the benchmark under ``root``.

    Args:
        root: A generated benchmark.
        difficulty: Drawn difficulty per image, ``{'target/train': [...]}``
            (from the generator), or ``None``.

    Returns:
        dict: JSON-serialisable properties (percentages, per-class lists in
        class order; see the module docstring).
    """
    stats = {d: _domain_stats(root, d) for d in ('source', 'target')}
    share = {d: 100 * s['colour'][:, 3] / max(1.0, s['colour'][:, 3].sum())
             for d, s in stats.items()}
    with np.errstate(invalid='ignore', divide='ignore'):
        means = {d: s['colour'][:, :3] / s['colour'][:, 3:] for d, s in stats.items()}
    tgt = stats['target']
    shift = np.linalg.norm(means['target'] - means['source'], axis=1)
    recall = _recalls(root, {'source_means': means['source'],
                             'target_means': means['target']})
    sep = _separability(root, means['target'])
    diff = {'separability_p10': float(np.percentile(sep, 10)),
            'separability_p50': float(np.percentile(sep, 50)),
            'separability_p90': float(np.percentile(sep, 90))}
    drawn = (difficulty or {}).get('target/train')
    if drawn is not None and len(drawn) == len(sep) and np.ptp(drawn) > 0:
        diff['rank_corr_with_drawn_difficulty'] = _rank_correlation(np.array(drawn), sep)
    tail = [CLASSES[c] for c in range(NUM_CLASSES) if 0 < share['target'][c] < TAIL_SHARE]

    def rounded(values) -> List[Optional[float]]:
        return [None if not np.isfinite(v) else round(float(v), 3) for v in values]

    return dict(
        classes=list(CLASSES), tail_threshold_percent=TAIL_SHARE, tail_classes=tail,
        pixel_share={d: rounded(v) for d, v in share.items()},
        image_share=rounded(100 * (tgt['per_image'] > 0).mean(0)),
        top10_image_share=rounded(_concentration(tgt['per_image'])),
        median_component_area=rounded(
            [np.median(a) if a else np.nan for a in tgt['areas']]),
        boundary_fraction=rounded(tgt['boundary'] / np.maximum(tgt['colour'][:, 3], 1)),
        colour_shift=rounded(shift),
        recall_source_means=rounded(recall['source_means']),
        recall_target_means=rounded(recall['target_means']),
        difficulty=diff, drawn_difficulty=difficulty)


def format_properties(props: dict) -> str:
    """A readable table of :func:`measure_properties`' result."""
    head = ('class', 'tgt %', 'src %', 'in imgs %', 'top10 %', 'med. area',
            'edge frac', 'col. shift', 'rec. src', 'rec. tgt')
    keys = (None, ('pixel_share', 'target'), ('pixel_share', 'source'), 'image_share',
            'top10_image_share', 'median_component_area', 'boundary_fraction',
            'colour_shift', 'recall_source_means', 'recall_target_means')
    lines = [' '.join(f'{h:>13}' if i == 0 else f'{h:>10}' for i, h in enumerate(head))]
    for c, name in enumerate(props['classes']):
        row = [f'{name:>13}']
        for key in keys[1:]:
            values = props[key[0]][key[1]] if isinstance(key, tuple) else props[key]
            v = values[c]
            row.append(f'{"-":>10}' if v is None else f'{v:>10.2f}')
        lines.append(' '.join(row))
    shift = np.array([np.nan if v is None else v for v in props['colour_shift']])
    order = np.argsort(-np.nan_to_num(shift, nan=-1))[:len(shift) // 3]
    d = props['difficulty']
    lines += [
        f'tail (< {props["tail_threshold_percent"]} % of target pixels): '
        f'{len(props["tail_classes"])} classes: {", ".join(props["tail_classes"])}',
        'largest colour shift (top third): '
        + ', '.join(f'{props["classes"][c]} {shift[c]:.0f}' for c in order)
        + f' (median over classes {np.nanmedian(shift):.0f})',
        f'image difficulty (colour separability, % of pixels): p10 {d["separability_p10"]:.1f}'
        f', p50 {d["separability_p50"]:.1f}, p90 {d["separability_p90"]:.1f}'
        + (f'; rank correlation with the drawn difficulty '
           f'{d["rank_corr_with_drawn_difficulty"]:.2f}'
           if 'rank_corr_with_drawn_difficulty' in d else '')]
    return '\n'.join(lines)
