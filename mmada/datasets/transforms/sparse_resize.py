"""Resizing that keeps sparse labels (points) instead of dropping most of them."""
import numpy as np
from mmcv.transforms import Resize

from mmada.registry import TRANSFORMS


def keep_sparse_labels(resized: np.ndarray, original: np.ndarray,
                       ignore_index: int = 255) -> np.ndarray:
    """Put every labelled pixel of ``original`` at its scaled position.

    A nearest-neighbour resize samples one source pixel per output pixel, so
    a downscale by 2 keeps only the labels at even coordinates: three of four
    single-pixel labels (clicked points) vanish. Here each labelled source
    pixel (y, x) also writes its label to output pixel
    (ceil(y * h' / h), ceil(x * w' / w)) (clipped to the map), over the
    nearest-neighbour map. That is the output pixel that samples it when
    nearest neighbour keeps it (mmcv / OpenCV sample source floor(y' * h / h')),
    so a kept label is not written a second time next to itself (at a scale
    such as 2048 -> 1280, floor(y * h' / h) would be another pixel for some of
    them); a dropped one goes to the next output pixel. Where several fall in
    one output pixel, the last in raster order wins (a dense map gets, per
    output pixel, one label of its source cell, as by nearest neighbour,
    only another one of them).

    Args:
        resized: The nearest-neighbour resized map, (h', w').
        original: The map before resizing, (h, w).
        ignore_index: The unlabelled value.

    Returns:
        np.ndarray: ``resized`` with the scattered labels (a new array).
    """
    (h, w), (h2, w2) = original.shape[:2], resized.shape[:2]
    ys, xs = np.nonzero(original != ignore_index)
    out = resized.copy()
    rows = np.minimum((ys * h2 + h - 1) // h, h2 - 1)
    cols = np.minimum((xs * w2 + w - 1) // w, w2 - 1)
    out[rows, cols] = original[ys, xs]
    return out


@TRANSFORMS.register_module()
class SparseLabelResize(Resize):
    """mmcv's ``Resize`` whose ``gt_seg_map`` keeps its sparse labels.

    The image and everything else are resized as by ``Resize``; the label
    map is resized by nearest neighbour and then gets every labelled pixel at
    its scaled position (:func:`keep_sparse_labels`), so the points of a
    point-supervision label store survive a downscale. For a training
    pipeline whose labels are points (``ActiveTargetDataset`` +
    ``LoadActiveLabels``).

    Args:
        ignore_index: The unlabelled value of the label map.
        **kwargs: ``Resize``'s arguments (``scale``, ``keep_ratio``, ...).
    """

    def __init__(self, ignore_index: int = 255, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ignore_index = ignore_index

    def _resize_seg(self, results: dict) -> None:
        original = results.get('gt_seg_map')
        super()._resize_seg(results)
        if original is not None:
            results['gt_seg_map'] = keep_sparse_labels(
                results['gt_seg_map'], original, self.ignore_index)
