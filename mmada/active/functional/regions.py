"""Masks and sizes of regions: squares around positions and non-overlapping
grid patches."""
import math
from typing import Sequence

import torch
from torch import Tensor

from .box import box_sum
from .checks import check_positions, check_radius


def square_mask(positions: Tensor, shape: Sequence[int],
                radius: int) -> Tensor:
    """Union of the squares of a given radius around positions.

    Args:
        positions: (n,) flat positions.
        shape: (H, W).
        radius: Chebyshev radius (0 = the positions themselves).

    Returns:
        Tensor: (H, W) bool mask, squares clipped at the image borders.
    """
    radius = check_radius(radius, 'radius')
    positions = check_positions(positions, shape)
    points = torch.zeros(
        tuple(shape), dtype=torch.bool, device=positions.device)
    points.view(-1)[positions] = True
    if radius == 0 or positions.numel() == 0:
        return points
    return box_sum(points, radius) > 0


def square_sizes(positions: Tensor, shape: Sequence[int],
                 radius: int) -> Tensor:
    """Number of in-image pixels of the square around each position.

    Args:
        positions: (n,) flat positions.
        shape: (H, W).
        radius: Chebyshev radius.

    Returns:
        Tensor: (n,) int64 sizes, ``(2 radius + 1)^2`` away from borders.
    """
    radius = check_radius(radius, 'radius')
    positions = check_positions(positions, shape)
    height, width = shape
    ys, xs = positions // width, positions % width
    rows = (ys + radius).clamp(max=height - 1) - (ys - radius).clamp(min=0)
    cols = (xs + radius).clamp(max=width - 1) - (xs - radius).clamp(min=0)
    return (rows + 1) * (cols + 1)


def grid_reduce(score: Tensor,
                patch_size: Sequence[int],
                reduce: str = 'mean') -> Tensor:
    """Reduce a score map over non-overlapping grid patches.

    Patches tile the map from the top-left corner; the last row and column of
    patches are cropped by the image border and are reduced over their
    in-image pixels only.

    Args:
        score: (H, W) float scores.
        patch_size: (ph, pw) patch height and width.
        reduce: ``'mean'``, ``'max'`` or ``'sum'``.

    Returns:
        Tensor: (ceil(H / ph), ceil(W / pw)) patch scores.
    """
    if reduce not in ('mean', 'max', 'sum'):
        raise ValueError(f"reduce must be 'mean', 'max' or 'sum', got "
                         f'{reduce!r}')
    patch_h, patch_w = patch_size
    height, width = score.shape
    n_h, n_w = -(-height // patch_h), -(-width // patch_w)
    fill = -math.inf if reduce == 'max' else 0.
    padded = score.new_full((n_h * patch_h, n_w * patch_w), fill)
    padded[:height, :width] = score
    tiles = padded.view(n_h, patch_h, n_w, patch_w)
    if reduce == 'max':
        return tiles.amax(dim=(1, 3))
    total = tiles.sum(dim=(1, 3), dtype=torch.float64)
    if reduce == 'mean':
        rows = (torch.arange(n_h) *
                patch_h).neg_().add_(height).clamp_(max=patch_h)
        cols = (torch.arange(n_w) *
                patch_w).neg_().add_(width).clamp_(max=patch_w)
        total = total / (rows[:, None] * cols[None, :]).to(total.device)
    return total.to(score.dtype)
