"""Box filters over windows clipped to the image.

Sums and means over the window of radius k of every pixel are computed with
cumulative sums (one pass per axis), so their cost does not depend on ``k``.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from .checks import check_radius


def window_bounds(
        length: int,
        k: int,
        device: Optional[torch.device] = None) -> Tuple[Tensor, Tensor]:
    """Clipped window bounds along one axis.

    Args:
        length: Size of the axis.
        k: Window radius.
        device: Device of the returned tensors.

    Returns:
        tuple[Tensor, Tensor]: ``lo`` and ``hi`` (length,) int64 such that
        the window of index ``i`` is ``[lo[i], hi[i])``.
    """
    k = check_radius(k)
    idx = torch.arange(length, device=device)
    return (idx - k).clamp(min=0), (idx + k + 1).clamp(max=length)


def box_count(shape: Sequence[int],
              k: int,
              device: Optional[torch.device] = None) -> Tensor:
    """Number of in-image pixels in the window of radius k of every pixel.

    Args:
        shape: (H, W).
        k: Window radius.
        device: Device of the result.

    Returns:
        Tensor: (H, W) int64 counts, ``(2k+1)^2`` away from the borders.
    """
    height, width = shape
    lo_h, hi_h = window_bounds(height, k, device)
    lo_w, hi_w = window_bounds(width, k, device)
    return (hi_h - lo_h)[:, None] * (hi_w - lo_w)[None, :]


class BoxSums:
    """Buffers for many box sums of (H, W) maps of one shape.

    Each axis is one cumulative sum over a zero-padded copy: with ``c`` the
    cumulative sum of ``x`` padded by ``k + 1`` zeros on the left and ``k``
    on the right, ``c[i + 2k + 1] - c[i]`` is the sum of ``x[i-k .. i+k]``
    restricted to the image. The cost is O(H W) whatever ``k``. The vertical
    pass runs on a transposed copy (a cumulative sum along a strided
    dimension is several times slower), and the buffers are reused because
    allocating fresh pages for every map costs as much as the arithmetic.

    Args:
        shape: (H, W).
        k: Window radius.
        dtype: Accumulator dtype (int32/int64 exact, float64 for floats).
        device: Device of the buffers.
    """

    def __init__(self,
                 shape: Sequence[int],
                 k: int,
                 dtype: torch.dtype,
                 device: Optional[torch.device] = None) -> None:
        height, width = shape
        self.k = k
        self.height, self.width = height, width
        self.rows = torch.zeros((height, width + 2 * k + 1),
                                dtype=dtype,
                                device=device)
        self.cols = torch.zeros((width, height + 2 * k + 1),
                                dtype=dtype,
                                device=device)
        self.diff = torch.empty((height, width), dtype=dtype, device=device)
        self.diff_t = torch.empty((width, height), dtype=dtype, device=device)
        self.out = torch.empty((width, height), dtype=dtype, device=device)

    def __call__(self, x: Tensor) -> Tensor:
        """Box sums of ``x`` (H, W) as a new (H, W) accumulator tensor."""
        out = torch.empty((self.height, self.width),
                          dtype=self.out.dtype,
                          device=self.out.device)
        return out.copy_(self.transposed(x).t())  # same dtype: fast

    def transposed(self, x: Tensor) -> Tensor:
        """Box sums of ``x`` (H, W), returned transposed as (W, H).

        The result is a buffer overwritten by the next call.
        """
        k, height, width = self.k, self.height, self.width
        if x.is_floating_point() and x.dtype != self.rows.dtype:
            # A float-converting copy into the padded (strided) buffer is
            # several times slower on CPU than converting contiguously first.
            x = x.to(self.rows.dtype)
        self.rows[:, k + 1:k + 1 + width].copy_(x)
        self.rows[:, k + 1 + width:].zero_()
        self.rows.cumsum_(dim=1)
        torch.sub(
            self.rows[:, 2 * k + 1:], self.rows[:, :width], out=self.diff)
        # Transposing into a contiguous buffer first is ~4x faster than
        # writing the transpose straight into the padded one.
        self.diff_t.copy_(self.diff.t())
        self.cols[:, k + 1:k + 1 + height].copy_(self.diff_t)
        self.cols[:, k + 1 + height:].zero_()
        self.cols.cumsum_(dim=1)
        return torch.sub(
            self.cols[:, 2 * k + 1:], self.cols[:, :height], out=self.out)


#: Largest radius whose window counts :class:`SmallBoxCounts` computes
#: (shifted adds beat two cumulative sums up to about this radius, and
#: ``(2k+1)^2 <= 255`` fits a byte).
SMALL_BOX_RADIUS = 3


class SmallBoxCounts:
    """Window counts of (H, W) bool maps for a small radius, in bytes.

    The count of the window of radius k is the sum of ``2k + 1`` shifted
    copies of the zero-padded map along each axis (2k in-place byte adds per
    axis, exact), in buffers reused across maps: cheaper than the cumulative
    sums of :class:`BoxSums` for ``k <=`` :data:`SMALL_BOX_RADIUS`, and in the
    (H, W) layout.

    Args:
        shape: (H, W).
        k: Window radius, at most :data:`SMALL_BOX_RADIUS`.
        device: Device of the buffers.
    """

    def __init__(self,
                 shape: Sequence[int],
                 k: int,
                 device: Optional[torch.device] = None) -> None:
        k = check_radius(k)
        if k > SMALL_BOX_RADIUS:
            raise ValueError(f'SmallBoxCounts needs k <= {SMALL_BOX_RADIUS}, '
                             f'got {k}')
        height, width = shape
        self.k, self.height, self.width = k, height, width
        self.padded = torch.zeros((height + 2 * k, width + 2 * k),
                                  dtype=torch.uint8,
                                  device=device)
        #: The (H, W) view of the padded map that :meth:`__call__` sums.
        self.inner = self.padded[k:k + height, k:k + width]
        self.rows = torch.empty((height + 2 * k, width),
                                dtype=torch.uint8,
                                device=device)
        self.out = torch.empty((height, width),
                               dtype=torch.uint8,
                               device=device)

    def __call__(self) -> Tensor:
        """Window counts of the map written into :attr:`inner`.

        Returns:
            Tensor: (H, W) uint8 counts; a buffer overwritten by the next call.
        """
        k, height, width = self.k, self.height, self.width
        if k == 0:
            return self.out.copy_(self.inner)
        padded, rows = self.padded, self.rows
        torch.add(padded[:, :width], padded[:, 1:1 + width], out=rows)
        for shift in range(2, 2 * k + 1):
            rows.add_(padded[:, shift:shift + width])
        torch.add(rows[:height], rows[1:1 + height], out=self.out)
        for shift in range(2, 2 * k + 1):
            self.out.add_(rows[shift:shift + height])
        return self.out


def _accumulator_dtype(x: Tensor) -> torch.dtype:
    """Exact accumulator of box sums of ``x``."""
    if x.is_floating_point():
        return torch.float64  # float32 cumulative sums drift on large maps
    small_ints = (torch.bool, torch.uint8, torch.int8, torch.int16)
    if x.dtype in small_ints and x.shape[-1] * x.shape[-2] < 2**23:
        return torch.int32  # |cumulative sum| < H * W * 2**8 < 2**31
    return torch.int64


def box_sum(x: Tensor, k: int) -> Tensor:
    """Sum over the (2k+1)x(2k+1) window of every pixel, clipped to the image.

    Computed separably with cumulative sums, so the cost is O(H W) whatever
    ``k``. Floating inputs are accumulated in float64 and returned in their
    dtype; integer and bool inputs give exact int64 sums.

    Args:
        x: (..., H, W) tensor.
        k: Window radius.

    Returns:
        Tensor: (..., H, W) window sums.
    """
    k = check_radius(k)
    if x.dim() < 2:
        raise ValueError(f'box_sum needs a (..., H, W) tensor, got '
                         f'{tuple(x.shape)}')
    out_dtype = x.dtype if x.is_floating_point() else torch.int64
    if x.numel() == 0:
        return torch.empty(x.shape, dtype=out_dtype, device=x.device)
    sums = BoxSums(x.shape[-2:], k, _accumulator_dtype(x), x.device)
    maps = [sums(src).to(out_dtype) for src in x.reshape(-1, *x.shape[-2:])]
    return torch.stack(maps).reshape(x.shape)


def box_mean(x: Tensor, k: int) -> Tensor:
    """Mean over the in-image pixels of the window of radius k.

    Args:
        x: (..., H, W) floating tensor.
        k: Window radius.

    Returns:
        Tensor: (..., H, W) window means, in the dtype of ``x``.
    """
    if not x.is_floating_point():
        raise ValueError(f'box_mean needs a floating tensor, got {x.dtype}')
    count = box_count(x.shape[-2:], k, x.device).to(torch.float64)
    if x.numel() == 0:
        return torch.empty_like(x)
    sums = BoxSums(x.shape[-2:], k, torch.float64, x.device)
    maps = [
        sums(src).div_(count).to(x.dtype)
        for src in x.reshape(-1, *x.shape[-2:])
    ]
    return torch.stack(maps).reshape(x.shape)
