"""Registered selection units: pixels, RIPU squares, grid patches, images.

A unit turns one image's (H, W) score map into an ordered sequence of picks
(:meth:`greedy`), tells which pixels an annotator labels for them
(:meth:`footprint`), which positions may never be picked again
(:meth:`exclusion`, OR-ed into the ``excluded`` mask of later rounds) and
how many pixels each pick costs (:meth:`cost`, the footprint size, for pixel
budgets).

Positions are flat indices ``y * W + x`` into the (H, W) map; what a
position stands for depends on the unit (a pixel, the centre of a square,
the top-left pixel of a grid patch, pixel 0 for a whole image).
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmada.registry import UNITS
from . import functional as F
from .base import BaseUnit, ImageContext

_REDUCTIONS = ('mean', 'max', 'sum')


def _check_reduce(reduce: str, owner: str) -> str:
    """Raise a ValueError unless ``reduce`` is a known reduction."""
    if reduce not in _REDUCTIONS:
        raise ValueError(f'{owner}: reduce must be one of {_REDUCTIONS}, '
                         f'got {reduce!r}')
    return reduce


def _check_shape(shape: Sequence[int]) -> Tuple[int, int]:
    """Return (H, W) as ints, raising a ValueError if it is not 2-D."""
    if len(shape) != 2:
        raise ValueError(f'shape must be (H, W), got {tuple(shape)}')
    return int(shape[0]), int(shape[1])


@UNITS.register_module()
class PixelUnit(BaseUnit):
    """Single pixels, with optional neighbourhood suppression (RIPU PA).

    After a pixel is taken, every position within Chebyshev distance
    ``suppress_k`` of it is excluded, in this round and (through
    :meth:`exclusion`) in later ones. RIPU's PA uses ``suppress_k=32``;
    ``suppress_k=0`` is plain top-N pixels. Note: ``suppress_k=2k`` instead
    makes the k-neighbourhoods of the picks disjoint.

    * footprint: the pixel itself (cost 1);
    * exclusion: its (2 suppress_k + 1)^2 neighbourhood, clipped at borders.

    Args:
        suppress_k: Chebyshev radius excluded around every pick.
    """

    maskable = True  # greedy scores are the map's values at the pixels
    sparse_labels = True  # isolated pixels

    def __init__(self, suppress_k: int = 0) -> None:
        self.suppress_k = F.check_radius(suppress_k, 'suppress_k')

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """Greedy argmax-then-suppress over pixels.

        Args:
            score: (H, W) float scores.
            excluded: (H, W) bool pixels that may not be picked.
            max_units: Maximum number of pixels.

        Returns:
            tuple[Tensor, Tensor]: (n,) non-increasing scores and (n,) flat
            positions of the picked pixels.
        """
        return F.greedy_suppress(score, excluded, max_units, self.suppress_k)

    def footprint(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The picked pixels themselves."""
        return F.square_mask(positions, _check_shape(shape), 0)

    def exclusion(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The (2 suppress_k + 1)^2 neighbourhoods of the picks."""
        return F.square_mask(positions, _check_shape(shape), self.suppress_k)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """One pixel per pick: (n,) int64 ones."""
        return F.square_sizes(positions, _check_shape(shape), 0)


@UNITS.register_module()
class SquareRegionUnit(BaseUnit):
    """(2k+1)x(2k+1) squares around centres (RIPU RA, Eqs. 1-2).

    Greedily takes the highest-scoring centre and labels its whole square
    (clipped at the borders); every centre within Chebyshev distance 2k of a
    taken centre is then excluded -- for the rest of training through
    :meth:`exclusion` -- so squares never overlap, also across rounds.

    The score of a centre is the score map's value there, so pair this unit
    with a region-level scorer (``RIPUScorer(mode='region', k=k)``). For a
    pixel-level scorer (entropy, confidence, random) set ``reduce='mean'``
    to rank a square by the mean pixel score inside it (RIPU's RA baselines).

    * footprint: the (2k+1)^2 square (cost = its in-image size);
    * exclusion: the (4k+1)^2 square of centres around each centre.

    Args:
        k: Square radius (RIPU RA: 1).
        reduce: ``None`` to use the score of the centre, or ``'mean'`` /
            ``'max'`` / ``'sum'`` over the square's in-image pixels.
    """

    def __init__(self, k: int = 1, reduce: Optional[str] = None) -> None:
        self.k = F.check_radius(k)
        self.reduce = None if reduce is None else _check_reduce(
            reduce,
            type(self).__name__)

    @property
    def maskable(self) -> bool:
        """Centre scores are the map's own values unless ``reduce`` is set."""
        return self.reduce is None

    def region_scores(self, score: Tensor) -> Tensor:
        """Score of every centre: ``score`` itself or its square reduction.

        Args:
            score: (H, W) pixel or region scores.

        Returns:
            Tensor: (H, W) centre scores.
        """
        if self.reduce is None:
            return score
        if self.reduce == 'mean':
            return F.box_mean(score, self.k)
        if self.reduce == 'sum':
            return F.box_sum(score, self.k)
        return _box_max(score, self.k)

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """Greedy argmax-then-suppress over centres (suppression radius 2k).

        Args:
            score: (H, W) float scores.
            excluded: (H, W) bool centres that may not be picked.
            max_units: Maximum number of squares.

        Returns:
            tuple[Tensor, Tensor]: (n,) non-increasing scores and (n,) flat
            positions of the picked centres.
        """
        return F.greedy_suppress(
            self.region_scores(score), excluded, max_units, 2 * self.k)

    def footprint(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The (2k+1)^2 squares around the centres, clipped at borders."""
        return F.square_mask(positions, _check_shape(shape), self.k)

    def exclusion(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """Centres within Chebyshev distance 2k of the picked centres."""
        return F.square_mask(positions, _check_shape(shape), 2 * self.k)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """In-image size of each square: (n,) int64."""
        return F.square_sizes(positions, _check_shape(shape), self.k)


def _box_max(score: Tensor, k: int) -> Tensor:
    """Max over the window of radius k, as two separable 1-D max pools."""
    if k == 0:
        return score
    rows = torch.nn.functional.max_pool2d(
        score[None, None], (1, 2 * k + 1), stride=1, padding=(0, k))
    return torch.nn.functional.max_pool2d(
        rows, (2 * k + 1, 1), stride=1, padding=(k, 0))[0, 0]


@UNITS.register_module()
class GridPatchUnit(BaseUnit):
    """Non-overlapping grid patches (e.g. 16x16 or 32x32 superpixel-free AL).

    The map is tiled from the top-left corner; the last row/column of patches
    is cropped by the image border. A patch's **position is the flat index of
    its top-left pixel**, and the patch is available unless that pixel is
    excluded. The patch score is the reduction of the pixel scores inside it
    (in-image pixels only).

    * footprint and exclusion: the whole patch (cost = its in-image size).

    Args:
        patch_size: Patch side, or (height, width).
        reduce: ``'mean'``, ``'max'`` or ``'sum'`` of the pixel scores.
    """

    def __init__(self, patch_size, reduce: str = 'mean') -> None:
        if isinstance(patch_size, int):
            patch_size = (patch_size, patch_size)
        patch_size = tuple(patch_size)
        if len(patch_size) != 2 or any(
                int(p) != p or p < 1 for p in patch_size):
            raise ValueError(f'GridPatchUnit: patch_size must be a positive '
                             f'int or a pair of them, got {patch_size!r}')
        self.patch_size = (int(patch_size[0]), int(patch_size[1]))
        self.reduce = _check_reduce(reduce, type(self).__name__)

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """Patches in order of their reduced score.

        Patches never overlap, so greedy selection is a sort by (score
        desc, position asc) of the available patches.

        Args:
            score: (H, W) float pixel scores.
            excluded: (H, W) bool; a patch is unavailable when its top-left
                pixel is excluded.
            max_units: Maximum number of patches.

        Returns:
            tuple[Tensor, Tensor]: (n,) non-increasing patch scores and (n,)
            flat positions of the patches' top-left pixels.
        """
        excluded = F.check_selection_inputs(score, excluded, max_units)
        width = score.shape[1]
        patch_h, patch_w = self.patch_shape(score.shape)
        patch_scores = F.grid_reduce(score, (patch_h, patch_w), self.reduce)
        corners = excluded[::patch_h, ::patch_w]
        values, index = F.greedy_suppress(patch_scores, corners, max_units, 0)
        grid_w = patch_scores.shape[1]
        rows, cols = index // grid_w, index % grid_w
        return values, rows * patch_h * width + cols * patch_w

    def patch_shape(self, shape: Sequence[int]) -> Tuple[int, int]:
        """(height, width) of the patches of an (H, W) map (fixed here;
        subclasses may scale it with the image, e.g. ``GridPointsUnit(grid=)``).

        Args:
            shape: (H, W) of the map.

        Returns:
            tuple[int, int]: Patch height and width.
        """
        return self.patch_size

    def _patch_bounds(self, positions: Tensor, shape: Sequence[int]):
        """Validated top-left corners (ys, xs) and the image shape."""
        height, width = _check_shape(shape)
        positions = F.check_positions(positions, (height, width))
        ys, xs = positions // width, positions % width
        patch_h, patch_w = self.patch_shape((height, width))
        if ((ys % patch_h) != 0).any() or ((xs % patch_w) != 0).any():
            raise ValueError('GridPatchUnit: positions must be top-left '
                             'corners of grid patches')
        return ys, xs, height, width

    def footprint(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole patches, cropped at the image border."""
        ys, xs, height, width = self._patch_bounds(positions, shape)
        mask = torch.zeros((height, width), dtype=torch.bool, device=ys.device)
        patch_h, patch_w = self.patch_shape((height, width))
        for y, x in zip(ys.tolist(), xs.tolist()):
            mask[y:y + patch_h, x:x + patch_w] = True
        return mask

    def nominal_pixels(self, shape: Sequence[int]) -> int:
        """A whole patch (clipped to the image)."""
        height, width = _check_shape(shape)
        patch_h, patch_w = self.patch_shape((height, width))
        return min(patch_h, height) * min(patch_w, width)

    def exclusion(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole patches (so their top-left pixels are excluded)."""
        return self.footprint(positions, shape)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """In-image size of each patch: (n,) int64."""
        ys, xs, height, width = self._patch_bounds(positions, shape)
        patch_h, patch_w = self.patch_shape((height, width))
        return ((height - ys).clamp(max=patch_h) *
                (width - xs).clamp(max=patch_w))


@UNITS.register_module()
class ImageUnit(BaseUnit):
    """A whole image is one unit (image-based AL, e.g. MADA; CBDA Alg. 1).

    The unit's position is 0 (the top-left pixel); the image is available
    unless that pixel is excluded. Its score is the reduction of all pixel
    scores.

    * footprint and exclusion: the whole image (cost = H x W).

    Args:
        reduce: ``'mean'``, ``'max'`` or ``'sum'`` of the pixel scores.
    """

    def __init__(self, reduce: str = 'mean') -> None:
        self.reduce = _check_reduce(reduce, type(self).__name__)

    def greedy(self, score: Tensor, excluded: Tensor,
               max_units: int) -> Tuple[Tensor, Tensor]:
        """The image itself, unless excluded or ``max_units == 0``.

        Args:
            score: (H, W) float pixel scores.
            excluded: (H, W) bool; the image is unavailable when pixel 0 is.
            max_units: Maximum number of units (0 or more).

        Returns:
            tuple[Tensor, Tensor]: (n,) score and (n,) position (0), n <= 1.
        """
        excluded = F.check_selection_inputs(score, excluded, max_units)
        if max_units == 0 or score.numel() == 0 or bool(excluded[0, 0]):
            return F.empty_selection(score)
        flat = score.reshape(-1)
        if self.reduce == 'mean':
            value = flat.mean(dtype=torch.float64)
        elif self.reduce == 'sum':
            value = flat.sum(dtype=torch.float64)
        else:
            value = flat.max()
        if torch.isnan(value):
            raise ValueError('ImageUnit: score contains NaN')
        return (value.to(score.dtype).reshape(1),
                torch.zeros(1, dtype=torch.int64, device=score.device))

    def _check(self, positions: Tensor, shape: Sequence[int]) -> Tensor:
        """Validate positions (all must be 0); return them."""
        height, width = _check_shape(shape)
        positions = F.check_positions(positions, (height, width))
        if (positions != 0).any():
            raise ValueError('ImageUnit: the only valid position is 0')
        return positions

    def footprint(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole image if picked, else nothing."""
        positions = self._check(positions, shape)
        return torch.full(
            tuple(shape),
            positions.numel() > 0,
            dtype=torch.bool,
            device=positions.device)

    def nominal_pixels(self, shape: Sequence[int]) -> int:
        """The whole image."""
        height, width = _check_shape(shape)
        return height * width

    def exclusion(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole image if picked, else nothing."""
        return self.footprint(positions, shape)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """H x W pixels per pick: (n,) int64."""
        positions = self._check(positions, shape)
        return torch.full_like(positions, int(shape[0]) * int(shape[1]))
