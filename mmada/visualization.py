"""Pictures of acquisition rounds: queried areas, class histograms and the
distribution over images of the share of pixels selected (CBDA App. A)."""
import os
import os.path as osp
from typing import Sequence, Tuple

import cv2
import numpy as np


def draw_queries(img_paths: Sequence[str],
                 queries: Sequence[Tuple[Sequence[int], np.ndarray]],
                 out_path: str, colour=(255, 0, 255)) -> str:
    """Stack images with their queried pixels painted over them.

    Args:
        img_paths: Image files.
        queries: Per image ``((H, W), flat indices of queried pixels)``.
        out_path: PNG to write.
        colour: BGR colour of the queried pixels.

    Returns:
        str: ``out_path``.
    """
    rows = []
    for path, (shape, pixels) in zip(img_paths, queries):
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'cannot read image {path}')
        if tuple(img.shape[:2]) != tuple(shape):
            img = cv2.resize(img, (shape[1], shape[0]))
        mask = np.zeros(int(shape[0]) * int(shape[1]), bool)
        mask[np.asarray(pixels, dtype=np.int64)] = True
        mask = mask.reshape(shape)
        shown = (img * 0.6).astype(np.uint8)
        shown[mask] = colour
        rows.append(np.concatenate([img, shown], 1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows]
    os.makedirs(osp.dirname(out_path) or '.', exist_ok=True)
    cv2.imwrite(out_path, np.concatenate(rows, 0))
    return out_path


def draw_class_histogram(counts_by_run, classes: Sequence[str], out_path: str,
                         title: str = '') -> str:
    """Bar chart of labelled pixels per class (one or several runs).

    Args:
        counts_by_run: (C,) counts, or a dict run name -> (C,) counts.
        classes: Class names.
        out_path: PNG to write.
        title: Figure title.

    Returns:
        str: ``out_path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if not isinstance(counts_by_run, dict):
        counts_by_run = {'labels': counts_by_run}
    fig, ax = plt.subplots(figsize=(10, 3.5))
    n = len(counts_by_run)
    x = np.arange(len(classes))
    for i, (name, counts) in enumerate(counts_by_run.items()):
        counts = np.asarray(counts, dtype=np.float64)
        share = 100 * counts / max(counts.sum(), 1)
        ax.bar(x + (i - (n - 1) / 2) * 0.8 / n, share, 0.8 / n, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(classes, rotation=60, ha='right', fontsize=8)
    ax.set_ylabel('% of labelled pixels')
    ax.set_yscale('log')
    ax.set_title(title)
    if n > 1:
        ax.legend()
    fig.tight_layout()
    os.makedirs(osp.dirname(out_path) or '.', exist_ok=True)
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path


def selected_percentages(labelled: Sequence[int], pixels: Sequence[int]) -> np.ndarray:
    """Percentage of the pixels of each image that were selected.

    Args:
        labelled: (N,) selected (queried) pixels per image.
        pixels: (N,) pixels per image.

    Returns:
        np.ndarray: (N,) float64 percentages in [0, 100].
    """
    labelled = np.asarray(labelled, dtype=np.float64)
    pixels = np.asarray(pixels, dtype=np.float64)
    if labelled.shape != pixels.shape or labelled.ndim != 1:
        raise ValueError(f'labelled {labelled.shape} and pixels {pixels.shape} must be '
                         'two (N,) arrays')
    if (pixels <= 0).any() or (labelled < 0).any() or (labelled > pixels).any():
        raise ValueError('every image needs pixels > 0 and 0 <= labelled <= pixels')
    return 100. * labelled / pixels


def draw_selection_distribution(percent_by_run, out_path: str, title: str = '',
                                bins: int = 30) -> str:
    """Histogram over images of the percentage of pixels selected (CBDA App. A).

    CBDA's Appendix A (Fig. 2) compares Dynamic Acquisition, whose dataset-wide
    top-N gives some images many more labels than others, with RIPU's RA,
    which gives every image the same share: one narrow peak against a broad
    spread. Several runs share the bins, so their spreads compare directly.

    Args:
        percent_by_run: (N,) percentages (see :func:`selected_percentages`),
            or a dict run name (e.g. ``'DA'``, ``'RA'``) -> (N,) percentages.
        out_path: PNG to write.
        title: Figure title.
        bins: Number of histogram bins over the common range.

    Returns:
        str: ``out_path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if not isinstance(percent_by_run, dict):
        percent_by_run = {'selected': percent_by_run}
    runs = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in percent_by_run.items()}
    if not runs or any(v.size == 0 for v in runs.values()):
        raise ValueError('draw_selection_distribution needs at least one image per run')
    low = min(float(v.min()) for v in runs.values())
    high = max(float(v.max()) for v in runs.values())
    edges = np.linspace(low, high if high > low else low + 1e-3, bins + 1)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in runs.items():
        ax.hist(values, bins=edges, alpha=0.6, label=f'{name} (n={values.size})')
    ax.set_xlabel('% of the pixels of an image selected')
    ax.set_ylabel('images')
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    os.makedirs(osp.dirname(out_path) or '.', exist_ok=True)
    tmp = f'{out_path}.tmp.png'  # written whole, then renamed (atomic)
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, out_path)
    return out_path
