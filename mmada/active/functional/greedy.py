"""Greedy argmax-then-suppress selection over a score map (RIPU, Eq. 2 and
Alg. 1), with tile maxima (``'blocks'``) or one top-k (``'sort'``)."""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .checks import check_radius, check_selection_inputs

#: Side of the square blocks whose maxima :func:`greedy_suppress` maintains.
GREEDY_BLOCK_SIZE = 32
#: Above this many requested units, ``radius == 0`` selection sorts instead
#: of walking block maxima (one sort beats many small steps).
SORT_MIN_UNITS = 2048


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
