"""Pure tensor functions of acquisition: uncertainty, RIPU scores, selection.

Everything here takes tensors and returns tensors; the registered scorers
(:mod:`mmada.active.scorers`) and selection units (:mod:`mmada.active.units`)
are thin wrappers around these functions.

Conventions:

* ``probs`` is a ``(C, H, W)`` softmax prediction, ``score`` a ``(H, W)``
  float map (higher = query first), ``positions`` are flat row-major indices
  ``y * W + x`` (int64).
* A "window of radius k" around ``(i, j)`` is the Chebyshev ball
  ``{(u, v) : |u - i| <= k, |v - j| <= k}`` clipped to the image (RIPU Eq. 1):
  at borders and corners it holds only in-image pixels, and means or
  proportions over it are taken over those pixels only.
* Box filters are computed with cumulative sums (one pass per axis), so their
  cost does not depend on ``k``.
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

#: Side of the square blocks whose maxima :func:`greedy_suppress` maintains.
GREEDY_BLOCK_SIZE = 32
#: Above this many requested units, ``radius == 0`` selection sorts instead
#: of walking block maxima (one sort beats many small steps).
SORT_MIN_UNITS = 2048


def check_probs(probs: Tensor) -> None:
    """Raise a ValueError unless ``probs`` is a non-empty (C, H, W) tensor."""
    if not isinstance(probs, Tensor) or probs.dim() != 3:
        shape = tuple(probs.shape) if isinstance(probs, Tensor) else None
        raise ValueError(f'probs must be a (C, H, W) tensor, got {shape}')
    if probs.shape[0] < 1:
        raise ValueError('probs must have at least one class')


def check_radius(k: int, name: str = 'k') -> int:
    """Return ``k`` as an int, raising a ValueError if it is negative."""
    if int(k) != k or k < 0:
        raise ValueError(f'{name} must be a non-negative integer, got {k!r}')
    return int(k)


# --------------------------------------------------------------------------
# Pixel-wise uncertainty
# --------------------------------------------------------------------------
def pixel_entropy(probs: Tensor, normalize: bool = False) -> Tensor:
    """Prediction entropy of every pixel (RIPU, Eq. 5).

    ``H = -sum_c p_c log p_c`` with ``0 log 0 = 0``. The sum runs over one
    class at a time in a reused buffer, so no (C, H, W) temporary is made.

    Args:
        probs: (C, H, W) softmax probabilities.
        normalize: Divide by ``log C`` so that the entropy lies in [0, 1].

    Returns:
        Tensor: (H, W) entropy, in the (floating) dtype of ``probs``.
    """
    check_probs(probs)
    num_classes = probs.shape[0]
    if normalize and num_classes < 2:
        raise ValueError('normalize=True needs at least 2 classes (log C > 0)')
    probs = probs if probs.is_floating_point() else probs.float()
    tiny = torch.finfo(probs.dtype).tiny
    entropy = torch.zeros_like(probs[0])
    term = torch.empty_like(probs[0])
    for prob in probs:
        # p * log(max(p, tiny)) is 0 at p = 0, like xlogy, but faster.
        torch.clamp(prob, min=tiny, out=term)
        entropy.sub_(term.log_().mul_(prob))
    if normalize:
        entropy.div_(math.log(num_classes))
    return entropy


def pseudo_labels(probs: Tensor) -> Tensor:
    """Pseudo labels ``argmax_c p_c`` (the first class on ties).

    Loops over classes: an argmax over the leading dimension of a large
    (C, H, W) tensor is strided and several times slower.

    Args:
        probs: (C, H, W) softmax probabilities.

    Returns:
        Tensor: (H, W) int64 labels.
    """
    check_probs(probs)
    best = probs[0].clone()
    labels = torch.zeros(
        probs.shape[1:], dtype=torch.int64, device=probs.device)
    better = torch.empty(
        probs.shape[1:], dtype=torch.bool, device=probs.device)
    for cls in range(1, probs.shape[0]):
        torch.gt(probs[cls], best, out=better)
        labels.masked_fill_(better, cls)
        torch.maximum(best, probs[cls], out=best)
    return labels


def softmax_confidence(probs: Tensor) -> Tensor:
    """Softmax-confidence score ``1 - max_c p_c`` (RIPU appendix 6.2.1).

    Args:
        probs: (C, H, W) softmax probabilities.

    Returns:
        Tensor: (H, W) scores in [0, 1 - 1/C]; less confident = higher.
    """
    check_probs(probs)
    return 1 - probs.amax(dim=0)


def margin_score(probs: Tensor) -> Tensor:
    """Margin score ``1 - (p_1 - p_2)`` of the two largest probabilities.

    A small margin between the best and second-best class gives a high score.

    Args:
        probs: (C, H, W) softmax probabilities, C >= 2.

    Returns:
        Tensor: (H, W) scores in [0, 1].
    """
    check_probs(probs)
    if probs.shape[0] < 2:
        raise ValueError('margin_score needs at least 2 classes')
    top2 = probs.topk(2, dim=0).values
    return 1 - (top2[0] - top2[1])


# --------------------------------------------------------------------------
# Box filters (windows clipped to the image)
# --------------------------------------------------------------------------
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


class _BoxSums:
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
    sums = _BoxSums(x.shape[-2:], k, _accumulator_dtype(x), x.device)
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
    sums = _BoxSums(x.shape[-2:], k, torch.float64, x.device)
    maps = [
        sums(src).div_(count).to(x.dtype)
        for src in x.reshape(-1, *x.shape[-2:])
    ]
    return torch.stack(maps).reshape(x.shape)


# --------------------------------------------------------------------------
# RIPU acquisition
# --------------------------------------------------------------------------
def region_impurity(labels: Tensor,
                    num_classes: int,
                    k: int,
                    normalize: bool = False) -> Tensor:
    """Region impurity of every pixel's window (RIPU, Eqs. 3-4).

    ``P = -sum_c (|N_k^c| / |N_k|) log(|N_k^c| / |N_k|)`` where ``N_k^c`` are
    the in-window pixels whose pseudo label is ``c`` and ``|N_k|`` the number
    of in-image pixels of the window. The per-class box counts are computed
    one class at a time in reused buffers (classes absent from ``labels`` are
    skipped), so the peak memory is a few (H, W) maps, never (C, H, W).

    Args:
        labels: (H, W) integer pseudo labels in [0, num_classes).
        num_classes: Number of classes C.
        k: Window radius.
        normalize: Divide by ``log C`` so that the impurity lies in [0, 1].

    Returns:
        Tensor: (H, W) float32 impurity.
    """
    if labels.dim() != 2 or labels.is_floating_point():
        raise ValueError('labels must be an (H, W) integer tensor')
    k = check_radius(k)
    if num_classes < 1 or (normalize and num_classes < 2):
        raise ValueError(f'invalid num_classes={num_classes} for '
                         f'normalize={normalize}')
    if labels.numel() == 0:
        return torch.zeros(
            labels.shape, dtype=torch.float32, device=labels.device)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'labels outside [0, {num_classes})')
    present = torch.bincount(labels.reshape(-1), minlength=num_classes)
    if num_classes <= 256:
        labels = labels.to(torch.uint8)  # cheaper comparisons
    # Everything below lives in the transposed (W, H) layout of _BoxSums.
    count = box_count(labels.shape, k,
                      labels.device).t().contiguous().to(torch.float32)
    sums = _BoxSums(labels.shape, k, torch.int32, labels.device)
    is_cls = torch.empty(labels.shape, dtype=torch.bool, device=labels.device)
    share, term = torch.empty_like(count), torch.empty_like(count)
    impurity = torch.zeros_like(count)
    for cls in torch.nonzero(present).reshape(-1).tolist():
        torch.eq(labels, cls, out=is_cls)
        share.copy_(sums.transposed(is_cls)).div_(count)  # one dtype: fast
        torch.clamp(share, min=1e-30, out=term)  # 0 log 0 = 0
        impurity.sub_(term.log_().mul_(share))
    if normalize:
        impurity.div_(math.log(num_classes))
    return impurity.t().contiguous()


def region_uncertainty(entropy: Tensor, k: int) -> Tensor:
    """Region uncertainty: mean pixel entropy over the window (RIPU, Eq. 6).

    Args:
        entropy: (H, W) pixel entropy (RIPU Eq. 5).
        k: Window radius.

    Returns:
        Tensor: (H, W) mean entropy over the in-image pixels of the window.
    """
    return box_mean(entropy, k)


def ripu_score(probs: Tensor,
               k: int = 1,
               mode: str = 'region',
               normalize: bool = True,
               use_impurity: bool = True,
               use_uncertainty: bool = True) -> Tensor:
    """RIPU acquisition ``A = U * P`` (RIPU, Eq. 7).

    * ``mode='region'`` (RA): ``U`` is the region uncertainty (Eq. 6).
    * ``mode='pixel'`` (PA): ``U`` is the pixel entropy (Eq. 5).

    ``P`` is the region impurity of the pseudo labels ``argmax_c p_c``
    (Eq. 4). Switching one factor off gives RIPU's ablations (Table 3):
    impurity only (a) or uncertainty only (b).

    Args:
        probs: (C, H, W) softmax probabilities.
        k: Window radius of impurity and region uncertainty.
        mode: ``'region'`` or ``'pixel'``.
        normalize: Divide entropy and impurity by ``log C`` (as the authors'
            code does); a constant factor, so it never changes a ranking.
        use_impurity: Multiply by the region impurity.
        use_uncertainty: Multiply by the (region or pixel) uncertainty.

    Returns:
        Tensor: (H, W) float32 non-negative scores.
    """
    check_probs(probs)
    k = check_radius(k)
    if mode not in ('region', 'pixel'):
        raise ValueError(f"mode must be 'region' or 'pixel', got {mode!r}")
    if not (use_impurity or use_uncertainty):
        raise ValueError('at least one of use_impurity and use_uncertainty '
                         'must be True')
    score = torch.ones(
        probs.shape[1:], dtype=torch.float32, device=probs.device)
    if use_uncertainty:
        entropy = pixel_entropy(probs.float(), normalize=normalize)
        if mode == 'region':
            entropy = region_uncertainty(entropy, k)
        score.mul_(entropy)
    if use_impurity:
        labels = pseudo_labels(probs)
        score.mul_(region_impurity(labels, probs.shape[0], k, normalize))
    return score


# --------------------------------------------------------------------------
# Masks of squares around positions
# --------------------------------------------------------------------------
def check_positions(positions: Tensor, shape: Sequence[int]) -> Tensor:
    """Validate flat positions against an (H, W) shape; return them int64."""
    height, width = shape
    positions = torch.as_tensor(positions).reshape(-1).to(torch.int64)
    if positions.numel() and (positions.min() < 0
                              or positions.max() >= height * width):
        raise ValueError(f'positions outside [0, {height * width})')
    return positions


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


# --------------------------------------------------------------------------
# Greedy argmax-then-suppress selection
# --------------------------------------------------------------------------
def check_selection_inputs(score: Tensor, excluded: Optional[Tensor],
                           max_units: int) -> Tensor:
    """Validate greedy inputs; return the bool excluded mask."""
    if not isinstance(score, Tensor) or score.dim() != 2:
        raise ValueError('score must be an (H, W) tensor')
    if not score.is_floating_point():
        raise ValueError(f'score must be floating, got {score.dtype}')
    if int(max_units) != max_units or max_units < 0:
        raise ValueError(f'max_units must be a non-negative integer, got '
                         f'{max_units!r}')
    if excluded is None:
        excluded = torch.zeros(score.shape, dtype=torch.bool)
    if tuple(excluded.shape) != tuple(score.shape):
        raise ValueError(f'excluded has shape {tuple(excluded.shape)}, '
                         f'score has shape {tuple(score.shape)}')
    return excluded.to(torch.bool)


def empty_selection(score: Tensor) -> Tuple[Tensor, Tensor]:
    """An empty (scores, positions) pair on the device of ``score``."""
    return (score.new_zeros(0),
            torch.zeros(0, dtype=torch.int64, device=score.device))


def _padded_work_map(score: Tensor, excluded: Tensor, dtype: torch.dtype,
                     block: int) -> np.ndarray:
    """A CPU copy of ``score``, excluded positions at -inf, padded with -inf
    to multiples of ``block`` (numpy: masked writes are several times faster
    than torch's ``masked_fill_`` on CPU)."""
    height, width = score.shape
    pad_h = -(-height // block) * block
    pad_w = -(-width // block) * block
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    work = np.empty((pad_h, pad_w), dtype=np_dtype)
    work[height:, :] = -np.inf
    work[:height, width:] = -np.inf
    inner = work[:height, :width]
    inner[...] = score.detach().to('cpu', dtype).numpy()
    excluded = excluded.cpu().numpy()
    if excluded.any():
        np.copyto(inner, -np.inf, where=excluded)
    return work


def _greedy_blocks(work: np.ndarray, shape: Sequence[int], max_units: int,
                   radius: int, block: int) -> Tuple[list, list]:
    """Greedy argmax-then-suppress over a padded map with block maxima.

    ``work`` is the (Hp, Wp) score map padded with -inf to multiples of
    ``block``, with excluded positions already set to -inf; it is modified in
    place. The maxima of the ``block x block`` tiles are kept up to date, so
    each step costs an argmax over the tiles plus the recomputation of the
    tiles touched by the suppressed square -- never a pass over the map.
    """
    height, width = shape
    n_bh, n_bw = work.shape[0] // block, work.shape[1] // block
    work_t = torch.from_numpy(work)  # shares memory with ``work``
    tile_max_t = work_t.view(n_bh, block, n_bw, block).amax(dim=(1, 3))
    tile_max = tile_max_t.numpy()  # shares memory with ``tile_max_t``
    if np.isnan(tile_max).any():  # amax propagates NaN
        raise ValueError('score contains NaN at a non-excluded position')
    flat_max = tile_max.reshape(-1)
    last = flat_max.size - 1
    values, picks = [], []
    for _ in range(max_units):
        best = int(flat_max.argmax())
        value = flat_max[best]
        if value == -np.inf:
            break
        ty, tx = divmod(best, n_bw)
        if last - int(flat_max[::-1].argmax()) == best:
            # One maximal tile: its first maximum is the map's.
            inner = int(work[ty * block:(ty + 1) * block,
                             tx * block:(tx + 1) * block].argmax())
            dy, dx = divmod(inner, block)
            y, x = ty * block + dy, tx * block + dx
        else:
            # Tied tiles: ``best`` is the first in row-major tile order, so no
            # earlier band of tile rows reaches ``value`` and the first maximum
            # of its band (one argmax over block x Wp values) is the map's.
            inner = int(work[ty * block:(ty + 1) * block].argmax())
            dy, x = divmod(inner, work.shape[1])
            y = ty * block + dy
        pos = y * width + x
        values.append(float(value))
        picks.append(pos)
        y0, y1 = max(0, y - radius), min(height, y + radius + 1)
        x0, x1 = max(0, x - radius), min(width, x + radius + 1)
        work[y0:y1, x0:x1] = -np.inf
        ty0, ty1 = y0 // block, (y1 - 1) // block + 1
        tx0, tx1 = x0 // block, (x1 - 1) // block + 1
        if (ty1 - ty0) * (tx1 - tx0) <= 6:  # numpy: less overhead per tile
            for ty in range(ty0, ty1):
                for tx in range(tx0, tx1):
                    tile_max[ty, tx] = work[ty * block:(ty + 1) * block,
                                            tx * block:(tx + 1) * block].max()
        else:  # torch: much faster multi-tile reduction
            sub = work_t[ty0 * block:ty1 * block, tx0 * block:tx1 * block]
            tile_max_t[ty0:ty1,
                       tx0:tx1] = sub.view(ty1 - ty0, block, tx1 - tx0,
                                           block).amax(dim=(1, 3))
    return values, picks


def _top_units(flat: Tensor, max_units: int) -> Tuple[Tensor, Tensor]:
    """Top ``max_units`` finite entries ordered by (score desc, index asc)."""
    available = int(torch.count_nonzero(flat > -math.inf))
    num = min(max_units, available)
    if num == 0:
        return flat.new_zeros(0), torch.zeros(0, dtype=torch.int64)
    kth = flat.topk(num).values[-1]
    above = torch.nonzero(flat > kth).squeeze(1)
    tied = torch.nonzero(flat == kth).squeeze(1)[:num - above.numel()]
    index = torch.cat([above, tied]).sort().values
    order = torch.sort(flat[index], descending=True, stable=True).indices
    index = index[order]
    return flat[index], index


def greedy_suppress(
        score: Tensor,
        excluded: Optional[Tensor],
        max_units: int,
        radius: int,
        method: str = 'auto',
        block_size: int = GREEDY_BLOCK_SIZE) -> Tuple[Tensor, Tensor]:
    """Greedy argmax-then-suppress selection (RIPU, Eq. 2 and Alg. 1).

    Returns exactly the sequence of the naive procedure::

        repeat max_units times:
            (y, x) = argmax(score)          # first maximum in row-major order
            stop if score[y, x] == -inf
            take (y, x)
            score[window of radius `radius` around (y, x)] = -inf

    with excluded positions set to -inf beforehand (so ties, too, are broken
    by the smallest flat position), but without touching the whole map at
    every step:

    * ``'blocks'``: the maxima of 32x32 tiles are computed once; a step
      takes the best tile, its best pixel, suppresses the square and
      recomputes only the tiles that square touches. Steps = picks.
    * ``'sort'`` (``radius == 0`` only): no pick suppresses another, so the
      sequence is the top ``max_units`` by (score desc, position asc), found
      with one top-k.

    ``'auto'`` uses ``'sort'`` for ``radius == 0`` and more than
    :data:`SORT_MIN_UNITS` units, ``'blocks'`` otherwise.

    Args:
        score: (H, W) float scores; NaN is rejected, -inf is never picked.
        excluded: (H, W) bool positions that may not be picked, or None.
        max_units: Maximum number of picks.
        radius: Chebyshev radius suppressed around every pick.
        method: ``'auto'``, ``'blocks'`` or ``'sort'``.
        block_size: Tile side of the ``'blocks'`` method.

    Returns:
        tuple[Tensor, Tensor]: (n,) scores (non-increasing, dtype of
        ``score``) and (n,) int64 flat positions, ``n <= max_units``, on the
        device of ``score``.
    """
    excluded = check_selection_inputs(score, excluded, max_units)
    radius = check_radius(radius, 'radius')
    if method not in ('auto', 'blocks', 'sort'):
        raise ValueError(f"method must be 'auto', 'blocks' or 'sort', got "
                         f'{method!r}')
    if method == 'sort' and radius != 0:
        raise ValueError("method='sort' only applies to radius == 0")
    if int(block_size) != block_size or block_size < 1:
        raise ValueError(f'block_size must be a positive int, got '
                         f'{block_size!r}')
    if max_units == 0 or score.numel() == 0:
        return empty_selection(score)
    device, dtype = score.device, score.dtype
    work_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    if method == 'sort' or (method == 'auto' and radius == 0
                            and max_units > SORT_MIN_UNITS):
        masked = score.detach().to('cpu', work_dtype).masked_fill(
            excluded.cpu(), -math.inf)
        if torch.isnan(masked).any():
            raise ValueError('score contains NaN at a non-excluded position')
        values, positions = _top_units(masked.reshape(-1), max_units)
        return values.to(device, dtype), positions.to(device)
    values, picks = _greedy_blocks(
        _padded_work_map(score, excluded, work_dtype, block_size), score.shape,
        int(max_units), radius, int(block_size))
    return (torch.tensor(values, dtype=dtype, device=device),
            torch.tensor(picks, dtype=torch.int64, device=device))


# --------------------------------------------------------------------------
# Grid patches
# --------------------------------------------------------------------------
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
