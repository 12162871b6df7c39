"""The boxes of adaptive cutmix (ACM, MADAv2 Eq. 9), pure functions.

:func:`region_box` is the authors' box with their stage-2 config's
``no_pad`` / ``no_slim`` (the bounding box of a random connected region of
the drawn class); :func:`cutmix_box` a box of a given share of the image, at
a random or given place (the authors' ``init_cutmix`` when the class has no
large enough region).
"""
import math
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

#: ACM boxes: the authors' stage-2 config (``no_pad``, ``no_slim``) or a half-image box.
ACM_BOXES = ('region', 'centred')


def cutmix_box(shape, area_ratio: float, centre: Optional[Tuple[int, int]],
               generator: torch.Generator) -> Tuple[int, int, int, int]:
    """A box of ``area_ratio`` of the image, random aspect, around ``centre``.

    The aspect is drawn as in the authors' cutmix: the height fraction
    ``exp(u log a)`` (u ~ U(0, 1)), the width fraction ``a`` over it. The
    box is shifted to lie inside the image.

    Args:
        shape: (H, W).
        area_ratio: a, the box's share of the image.
        centre: (y, x) the box is centred on; ``None``: uniform position.
        generator: Random generator.

    Returns:
        tuple: (y0, x0, y1, x1), end exclusive.
    """
    h, w = shape
    u = float(torch.rand((), generator=generator))
    fy = math.exp(u * math.log(area_ratio))
    bh, bw = max(1, round(fy * h)), max(1, round(area_ratio / fy * w))
    bh, bw = min(bh, h), min(bw, w)
    if centre is None:
        y0 = int(torch.randint(0, h - bh + 1, (), generator=generator))
        x0 = int(torch.randint(0, w - bw + 1, (), generator=generator))
    else:
        y0 = min(max(int(centre[0]) - bh // 2, 0), h - bh)
        x0 = min(max(int(centre[1]) - bw // 2, 0), w - bw)
    return y0, x0, y0 + bh, x0 + bw


def region_box(labels: Tensor, cls: int, area_thresh: float, generator: torch.Generator
               ) -> Optional[Tuple[int, int, int, int]]:
    """Bounding box of a random connected region of ``cls`` (the authors' ACM box).

    The authors' ``generate_cutmix`` with their stage-2 config's ``no_pad`` and
    ``no_slim``: the regions of ``cls`` (8-connected, as scikit-image's
    ``label``) larger than ``area_thresh`` of the image; one drawn uniformly;
    its bounding box, neither padded nor slimmed to half the image.

    Args:
        labels: (H, W) int64 (pseudo) labels.
        cls: The drawn class.
        area_thresh: Smallest region, as a share of the image (0.005).
        generator: Random generator.

    Returns:
        tuple | None: (y0, x0, y1, x1), end exclusive; ``None`` when no
        region is large enough (the caller then cuts a random half box).
    """
    from skimage.measure import label as connected_regions
    mask = (labels == cls).cpu().numpy()
    if not mask.any():
        return None
    regions = connected_regions(mask, connectivity=2)
    sizes = np.bincount(regions.ravel())[1:]
    large = np.nonzero(sizes > area_thresh * mask.size)[0] + 1
    if not len(large):
        return None
    ys, xs = np.nonzero(regions == large[int(torch.randint(0, len(large), (),
                                                             generator=generator))])
    return int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1
