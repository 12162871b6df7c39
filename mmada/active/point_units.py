"""Point units: random points inside picked grid patches (point supervision).

Annotators click a few points instead of drawing polygons. The unit ranks
the grid patches of an image like :class:`~mmada.active.units.GridPatchUnit`
and asks for ``points_per_patch`` random points inside each picked patch; the
points of the other patches may get the model's prediction as pseudo labels.
The points are drawn from the image's context (:meth:`ImageContext.rng`), for
every patch at once, so the same patch always gets the same points, on any
number of ranks and whichever patches are picked.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmada.registry import UNITS
from .base import ImageContext
from .units import GridPatchUnit, _check_shape

_PSEUDO = (None, 'points', 'dense')


@UNITS.register_module()
class GridPointsUnit(GridPatchUnit):
    """``points_per_patch`` random points in each picked grid patch.

    * greedy: patches by their reduced score (``reduce='sum'``: the summed
      entropy of a patch, as the active point-supervision paper's Eq. 5);
    * footprint: the patch's random points (cost: their number);
    * exclusion: the whole patch (never picked again);
    * pseudo labels (``pseudo``): ``'points'`` -- the random points of the
      patches that were not picked; ``'dense'`` -- every pixel outside the
      picked patches; ``None`` -- none.

    The grid is given either by its patches (``patch_size``) or by its
    number of rows and columns (``grid``): ``grid=(rows, cols)`` cuts an
    (H, W) map into patches of ``ceil(H / rows) x ceil(W / cols)`` pixels at
    the selection resolution, so the same config keeps the paper's 16 x 8
    grid (128 patches of 64 x 64 at 1024 x 512) at any image size. When H or
    W is not a multiple of rows or cols, the last row or column of patches is
    cut by the border (and, for tiny maps, there may be fewer of them).

    Args:
        patch_size: Patch side, or (height, width); ``None`` with ``grid``.
        points_per_patch: Points asked per picked patch (at most its size).
        pseudo: ``None``, ``'points'`` or ``'dense'``.
        reduce: ``'sum'``, ``'mean'`` or ``'max'`` of the pixel scores.
        stream: Random stream of :meth:`ImageContext.rng` used for the points.
        grid: (rows, cols) of the grid, instead of ``patch_size``.
    """

    query_format = 'points'  # annotators get point lists (mmada.active.annotation_points)
    sparse_labels = True  # isolated points in the picked patches

    def __init__(self, patch_size=None, points_per_patch: int = 5, pseudo: Optional[str] = None,
                 reduce: str = 'sum', stream: int = 1,
                 grid: Optional[Sequence[int]] = None) -> None:
        if (patch_size is None) == (grid is None):
            raise ValueError('GridPointsUnit: give exactly one of patch_size and grid=(rows, cols), '
                             f'got patch_size={patch_size!r}, grid={grid!r}')
        super().__init__(1 if patch_size is None else patch_size, reduce)
        self.grid = None
        if grid is not None:
            grid = tuple(grid)
            if len(grid) != 2 or any(int(g) != g or g < 1 for g in grid):
                raise ValueError(f'GridPointsUnit: grid must be (rows, cols) of positive ints, '
                                 f'got {grid!r}')
            self.grid = (int(grid[0]), int(grid[1]))
            self.patch_size = None
        if int(points_per_patch) != points_per_patch or points_per_patch < 1:
            raise ValueError(f'GridPointsUnit: points_per_patch must be a positive int, '
                             f'got {points_per_patch!r}')
        if pseudo not in _PSEUDO:
            raise ValueError(f'GridPointsUnit: pseudo must be one of {_PSEUDO}, got {pseudo!r}')
        self.points_per_patch = int(points_per_patch)
        self.pseudo = pseudo
        self.makes_pseudo_labels = pseudo is not None
        self.stream = int(stream)

    def patch_shape(self, shape: Sequence[int]) -> Tuple[int, int]:
        """Patch (height, width): ``patch_size``, or the grid scaled to the map.

        Args:
            shape: (H, W) of the map.

        Returns:
            tuple[int, int]: ``patch_size``, or ``(ceil(H / rows),
            ceil(W / cols))`` with ``grid``.
        """
        if self.grid is None:
            return self.patch_size
        height, width = _check_shape(shape)
        return -(-height // self.grid[0]), -(-width // self.grid[1])

    def points(self, shape: Sequence[int], ctx: Optional[ImageContext]) -> Tensor:
        """The random points of every patch of an image.

        Args:
            shape: (H, W).
            ctx: The image's context (its seed fixes the points).

        Returns:
            Tensor: (rows, cols, n) flat int64 pixel indices; patches cut by
            the border get ``min(n, patch pixels)`` distinct points, padded
            with -1.
        """
        if ctx is None:
            raise ValueError('GridPointsUnit needs the image context (its seed) to place points')
        height, width = _check_shape(shape)
        ph, pw = self.patch_shape((height, width))
        rows, cols = -(-height // ph), -(-width // pw)
        n = self.points_per_patch
        # One uniform key per pixel of a full patch; the n smallest keys among a
        # patch's in-image pixels are its points.
        keys = torch.rand((rows, cols, ph * pw), generator=ctx.rng(self.stream))
        dy = torch.arange(ph * pw) // pw
        dx = torch.arange(ph * pw) % pw
        ys = torch.arange(rows)[:, None, None] * ph + dy
        xs = torch.arange(cols)[None, :, None] * pw + dx
        inside = (ys < height) & (xs < width)
        keys = keys.masked_fill(~inside, 2.0)
        order = keys.argsort(-1)[..., :n]
        flat = (ys * width + xs).expand(rows, cols, ph * pw).gather(-1, order)
        valid = inside.expand(rows, cols, ph * pw).gather(-1, order)
        return flat.masked_fill(~valid, -1)

    def _picked(self, positions: Tensor, shape: Sequence[int]):
        ys, xs, height, width = self._patch_bounds(positions, shape)
        patch_h, patch_w = self.patch_shape((height, width))
        return ys // patch_h, xs // patch_w, height, width

    def footprint(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """The random points of the picked patches."""
        rows, cols, height, width = self._picked(positions, shape)
        mask = torch.zeros(height * width, dtype=torch.bool)
        if rows.numel():
            pts = self.points(shape, ctx)[rows.cpu(), cols.cpu()].reshape(-1)
            mask[pts[pts >= 0]] = True
        return mask.reshape(height, width)

    def exclusion(self, positions: Tensor, shape: Sequence[int],
                  ctx: Optional[ImageContext] = None) -> Tensor:
        """The whole picked patches."""
        return super().footprint(positions, shape)

    def cost(self, positions: Tensor, shape: Sequence[int],
             ctx: Optional[ImageContext] = None) -> Tensor:
        """Points per picked patch (fewer in patches smaller than that)."""
        return super().cost(positions, shape).clamp(max=self.points_per_patch)

    def nominal_pixels(self, shape: Sequence[int]) -> int:
        """The points of one full patch."""
        return min(self.points_per_patch, super().nominal_pixels(shape))

    def pseudo_candidates(self, shape: Sequence[int],
                          ctx: Optional[ImageContext] = None) -> Optional[Tensor]:
        """Every patch's points (``'points'``) or every pixel (``'dense'``);
        the engine drops those inside the picked patches."""
        if self.pseudo is None:
            return None
        if self.pseudo == 'dense':
            height, width = _check_shape(shape)
            return torch.arange(height * width)
        pts = self.points(shape, ctx).reshape(-1)
        return pts[pts >= 0]
