"""Superpixel regions: SLIC superpixels of the target image (RIPU Table 5).

RIPU (Xie et al., CVPR 2022, Sec. 4.4.4, Table 5) compares its
k-square-neighbours with fixed rectangles and superpixels from SEEDS. SEEDS
is in ``opencv-contrib-python`` (``cv2.ximgproc``), which would replace the
plain ``opencv-python`` that mmcv pins; scikit-image is a maintained
package on the registry that provides SLIC (``skimage.segmentation.slic``),
so the superpixels here are SLIC's. They depend only on the image, so a
region picked in one round stays excluded in later ones.
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmada.registry import UNITS
from mmada.utils.errors import UserFacingError
from . import functional as F
from .base import BaseUnit, ImageContext

_REDUCTIONS = ('mean', 'max', 'sum')


def slic_regions(image: Tensor, region_pixels: float, compactness: float = 10.,
                 max_num_iter: int = 10, sigma: float = 0.) -> Tensor:
    """SLIC superpixels of an image, numbered in row-major order of their first pixel.

    Args:
        image: (3, H, W) uint8 RGB image.
        region_pixels: Mean superpixel area asked for (SLIC's ``n_segments``
            is ``H * W / region_pixels``).
        compactness: SLIC's colour / space trade-off (higher: squarer).
        max_num_iter: SLIC's k-means iterations.
        sigma: Gaussian smoothing before segmenting (0: none).

    Returns:
        Tensor: (H, W) int64 region ids ``0 .. n-1``; region ``r`` is the
        ``r``-th region met when scanning the image row by row. SLIC is
        deterministic, so the same image gives the same regions everywhere.
    """
    from skimage.segmentation import slic
    if image.dim() != 3 or image.shape[0] != 3 or image.dtype != torch.uint8:
        raise ValueError(f'slic_regions needs a (3, H, W) uint8 image, got '
                         f'{tuple(image.shape)} {image.dtype}')
    height, width = image.shape[1:]
    segments = max(1, round(height * width / float(region_pixels)))
    labels = slic(image.permute(1, 2, 0).cpu().numpy(), n_segments=segments,
                  compactness=compactness, max_num_iter=max_num_iter, sigma=sigma,
                  start_label=0, channel_axis=-1)
    flat = labels.reshape(-1)
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind='stable')] = np.arange(first.size)
    return torch.from_numpy(rank[inverse.reshape(-1)].reshape(height, width))


@UNITS.register_module()
class SuperpixelUnit(BaseUnit):
    """SLIC superpixels of the target image as selection units (RIPU Table 5).

    The image (``ctx.image()``, given by the round engine) is cut into SLIC
    superpixels of about ``region_pixels`` pixels; a superpixel's score is
    the reduction of the score map over its pixels, and superpixels never
    overlap, so the greedy selection is a sort by (score desc, position asc).
    A superpixel's **position is the flat index of its first pixel** in
    row-major order; it is available unless that pixel is excluded.

    * footprint and exclusion: the whole superpixel (cost = its size);
    * ratio budgets count superpixels of ``region_pixels`` pixels (their mean
      size); the pixels actually labelled are in each round's log.

    Args:
        region_pixels: Mean superpixel area (RIPU's main config labels 3x3
            squares: 9 keeps that area, as the rectangle ablation does).
        compactness: SLIC's compactness.
        max_num_iter: SLIC's iterations.
        sigma: Gaussian smoothing before SLIC.
        reduce: ``'mean'``, ``'max'`` or ``'sum'`` of the pixel scores.
    """

    def __init__(self, region_pixels: float = 9, compactness: float = 10.,
                 max_num_iter: int = 10, sigma: float = 0., reduce: str = 'mean') -> None:
        if not region_pixels >= 1:
            raise ValueError(f'SuperpixelUnit: region_pixels must be >= 1, got {region_pixels!r}')
        if reduce not in _REDUCTIONS:
            raise ValueError(f'SuperpixelUnit: reduce must be one of {_REDUCTIONS}, got '
                             f'{reduce!r}')
        try:
            import skimage.segmentation  # noqa: F401
        except ImportError as err:
            raise UserFacingError(
                'SuperpixelUnit needs scikit-image (SLIC): pip install scikit-image '
                '(tools/setup_env.sh installs it)') from err
        self.region_pixels = float(region_pixels)
        self.slic_args = dict(compactness=float(compactness), max_num_iter=int(max_num_iter),
                              sigma=float(sigma))
        self.reduce = reduce

    # ---- regions -----------------------------------------------------------------
    def regions(self, shape: Sequence[int], ctx: Optional[ImageContext]) -> Tensor:
        """(H, W) int64 superpixel ids of the image, computed once per context.

        Args:
            shape: (H, W) of the score map (the label resolution).
            ctx: The image's context (its ``image()``).

        Returns:
            Tensor: Ids ``0 .. n-1`` in row-major order of first pixels.
        """
        if ctx is None:
            raise ValueError('SuperpixelUnit needs the image context (its regions are the '
                             "image's superpixels)")
        key = ('superpixels', self.region_pixels, tuple(sorted(self.slic_args.items())))
        if key not in ctx.memo:
            image = ctx.image()
            if tuple(image.shape[1:]) != tuple(shape):
                raise UserFacingError(
                    f'SuperpixelUnit: image {ctx.index} is {tuple(image.shape[1:])} but its '
                    f'score map is {tuple(shape)}; superpixels need the image at label '
                    'resolution')
            ctx.memo[key] = slic_regions(image, self.region_pixels, **self.slic_args)
        return ctx.memo[key]

    @staticmethod
    def _anchors(regions: Tensor) -> Tensor:
        """(n,) flat index of every region's first pixel (its position)."""
        flat = regions.reshape(-1)
        count = int(flat.max()) + 1 if flat.numel() else 0
        first = torch.full((count, ), flat.numel(), dtype=torch.int64)
        return first.scatter_reduce_(0, flat, torch.arange(flat.numel()), 'amin')

    def _region_ids(self, positions: Tensor, shape: Sequence[int],
                    ctx: Optional[ImageContext]) -> Tuple[Tensor, Tensor]:
        """Validated ids of the regions at ``positions``, and the region map."""
        regions = self.regions(shape, ctx)
        positions = F.check_positions(positions, shape).cpu()
        ids = regions.reshape(-1)[positions]
        if not torch.equal(self._anchors(regions)[ids], positions):
            raise ValueError('SuperpixelUnit: positions must be the first pixels of '
                             'superpixels (as select() returns them)')
        return ids, regions

    # ---- the unit interface ----------------------------------------------------------
    def region_scores(self, score: Tensor, regions: Tensor) -> Tensor:
        """Reduction of ``score`` over every superpixel.

        Args:
            score: (H, W) pixel scores.
            regions: (H, W) region ids.

        Returns:
            Tensor: (n,) region scores, in the dtype of ``score``.
        """
        flat, ids = score.detach().reshape(-1).cpu(), regions.reshape(-1)
        count = int(ids.max()) + 1
        if self.reduce == 'max':
            out = torch.full((count, ), -math.inf, dtype=flat.dtype)
            return out.scatter_reduce_(0, ids, flat, 'amax')
        total = torch.zeros(count, dtype=torch.float64).index_add_(0, ids, flat.double())
        if self.reduce == 'mean':
            total /= torch.bincount(ids, minlength=count).double()
        return total.to(score.dtype)

    def select(self, score: Tensor, excluded: Tensor, max_units: int,
               ctx: ImageContext) -> Tuple[Tensor, Tensor]:
        """Superpixels in order of their reduced score (ties: first position).

        Args:
            score: (H, W) float pixel scores.
            excluded: (H, W) bool; a superpixel is unavailable when its first
                pixel is excluded.
            max_units: Maximum number of superpixels.
            ctx: The image's context (its image gives the superpixels).

        Returns:
            tuple[Tensor, Tensor]: (n,) non-increasing scores and (n,) flat
            positions (first pixels) of the picked superpixels.
        """
        excluded = F.check_selection_inputs(score, excluded, max_units)
        regions = self.regions(score.shape, ctx)
        anchors = self._anchors(regions)
        values = self.region_scores(score, regions)
        taken = excluded.reshape(-1).cpu()[anchors]
        picked_values, index = F.greedy_suppress(values[None], taken[None], max_units, 0)
        return picked_values.to(score.device), anchors[index.cpu()].to(score.device)

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """Superpixels need the image: the engine calls :meth:`select`."""
        raise ValueError('SuperpixelUnit selects through select(score, excluded, max_units, '
                         "ctx): its regions are the image's superpixels")

    def footprint(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole superpixels."""
        ids, regions = self._region_ids(positions, shape, ctx)
        chosen = torch.zeros(int(regions.max()) + 1, dtype=torch.bool)
        chosen[ids] = True
        return chosen[regions]

    def exclusion(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole superpixels (so their first pixels are excluded)."""
        return self.footprint(positions, shape, ctx)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """Pixels of each superpixel: (n,) int64."""
        ids, regions = self._region_ids(positions, shape, ctx)
        return torch.bincount(regions.reshape(-1), minlength=int(regions.max()) + 1)[ids]

    def nominal_pixels(self, shape: Sequence[int]) -> int:
        """The mean superpixel area asked for (``region_pixels``), in the image."""
        height, width = int(shape[0]), int(shape[1])
        return max(1, min(height * width, round(self.region_pixels)))
