"""Annotation budgets in the papers' units, split over acquisition rounds."""
import math
from typing import Optional, Sequence, Tuple


from mmada.active.base import BaseUnit

BUDGET_TYPES = ('ratio', 'pixels_per_image', 'images')
ROUNDINGS = ('nearest', 'ceil')


def _round(value: float, rounding: str) -> int:
    """Round ignoring float noise: to the nearest int (halves up) or up."""
    value = round(value, 9)
    return math.ceil(value) if rounding == 'ceil' else math.floor(value + 0.5)


def pixels_per_image(num_pixels: int,
                     ref_shape: Sequence[int],
                     shape: Sequence[int],
                     num_rounds: int = 1,
                     rounding: str = 'nearest') -> int:
    """Pixels per image and round for a budget of N pixels at a reference size.

    RIPU's PA labels 40 pixels per image at 1280x640; at another selection
    resolution the budget keeps the same *density*: it is scaled by the area
    ratio, with at least 1 pixel:
    ``max(1, round(N / num_rounds * (H * W) / (H_ref * W_ref)))``. E.g. 40 px
    at 640x1280 -> 1024x2048 is ``40 * 2.56 = 102.4`` pixels in one round;
    over 5 rounds ``8 * 2.56 = 20.48`` per round: 20 with
    ``rounding='nearest'`` (100 in total), 21 with ``rounding='ceil'`` as
    the authors' code does (105 in total).

    Args:
        num_pixels: Total pixels per image at the reference resolution.
        ref_shape: (H_ref, W_ref) reference resolution.
        shape: (H, W) selection resolution.
        num_rounds: Number of rounds the budget is spread over.
        rounding: ``'nearest'`` or ``'ceil'``.

    Returns:
        int: Pixels to select in one image in one round.
    """
    if int(num_pixels) != num_pixels or num_pixels < 1:
        raise ValueError(f'num_pixels must be a positive int, got {num_pixels!r}')
    if int(num_rounds) != num_rounds or num_rounds < 1:
        raise ValueError(f'num_rounds must be a positive int, got {num_rounds!r}')
    if rounding not in ROUNDINGS:
        raise ValueError(f'rounding must be one of {ROUNDINGS}, got {rounding!r}')
    ref_area = ref_shape[0] * ref_shape[1]
    area = shape[0] * shape[1]
    if ref_area <= 0 or area <= 0:
        raise ValueError(f'empty shape: ref_shape={ref_shape}, shape={shape}')
    return max(1, _round(num_pixels / num_rounds * area / ref_area, rounding))


def split_over_rounds(total: float, num_rounds: int, round_index: int) -> int:
    """Integer share of ``total`` for a round, exact over the schedule.

    Round ``i`` gets ``floor(i * total / N) - floor((i - 1) * total / N)``,
    so the shares sum to ``floor(total)`` and never exceed it.

    Args:
        total: Budget of the whole schedule.
        num_rounds: Number of rounds N.
        round_index: 1-based round i.

    Returns:
        int: The round's share.
    """
    if not 1 <= round_index <= num_rounds:
        raise ValueError(f'round_index must be in [1, {num_rounds}], got {round_index}')
    return (math.floor(round_index * total / num_rounds) -
            math.floor((round_index - 1) * total / num_rounds))


def unit_pixels(unit: BaseUnit, shape: Sequence[int]) -> int:
    """Nominal number of pixels of one unit (:meth:`BaseUnit.nominal_pixels`)."""
    return unit.nominal_pixels(shape)


class Budget:
    """How much may be labelled, in the papers' units.

    * ``type='ratio'``: ``value`` is the fraction of all target pixels
      labelled by the end (RIPU RA: 0.022 = 2.2%). Each round gives every
      image ``ceil(H * W * r / unit_pixels)`` units with ``r = value /
      num_rounds`` (RIPU's per-round rule; for squares ``unit_pixels =
      (2k+1)^2``). Dataset-wide allocators share the sum of these freely.
    * ``type='pixels_per_image'``: ``value`` pixels per image by the end
      (RIPU PA: 40), split over rounds. With ``reference_size`` (RIPU: 40 px
      at (640, 1280)) the count keeps the same density at the selection
      resolution: :func:`pixels_per_image` scales it by the area ratio per
      round, as the authors' code does (1024x2048: 20 per round, or 21
      with ``rounding='ceil'``, the authors' rounding); without it, exactly
      ``value`` pixels per image are split over the rounds.
    * ``type='pixels_per_image'`` with ``value=0``: rounds that ask for
      nothing and only store a pseudo-labelling unit's pseudo labels (the
      active point-supervision paper's K = 0, its self-training bound).
    * ``type='images'``: ``value`` whole images by the end, split exactly
      over rounds (MADA); needs a dataset-wide allocator (the per-image
      allocator refuses it before training).

    Args:
        type: One of ``'ratio'``, ``'pixels_per_image'``, ``'images'``.
        value: The budget of the whole schedule.
        num_rounds: Number of acquisition rounds.
        reference_size: (H, W) at which a ``pixels_per_image`` budget is
            stated.
        per_round: ``value`` is the budget of each round instead of the
            whole schedule (the total is ``value * num_rounds``).
        rounding: How a scaled ``pixels_per_image`` budget is rounded per
            round: ``'nearest'`` (default) or ``'ceil'`` (RIPU's code).
    """

    def __init__(self, type: str, value: float, num_rounds: int,
                 reference_size: Optional[Sequence[int]] = None,
                 per_round: bool = False, rounding: str = 'nearest') -> None:
        if type not in BUDGET_TYPES:
            raise ValueError(f'budget type must be one of {BUDGET_TYPES}, got {type!r}')
        if not isinstance(num_rounds, int) or num_rounds < 1:
            raise ValueError(f'num_rounds must be a positive int, got {num_rounds!r}')
        if rounding not in ROUNDINGS:
            raise ValueError(f'budget rounding must be one of {ROUNDINGS}, got {rounding!r}')
        value = float(value) * (num_rounds if per_round else 1)
        if value == 0 and type == 'pixels_per_image' and reference_size is None:
            pass  # a pseudo-label-only schedule: nothing is asked (see AcquisitionRound)
        elif not value > 0:
            raise ValueError(f'budget value must be > 0, got {value} (only a '
                             f"pixels_per_image budget may be 0: pseudo labels only)")
        if type == 'ratio' and value > 1:
            raise ValueError(f'a ratio budget must be in (0, 1], got {value}')
        if type != 'ratio' and value != int(value):
            raise ValueError(f'a {type} budget must be a whole number, got {value}')
        if type != 'ratio' and 0 < value < num_rounds:
            raise ValueError(
                f'{type} budget {value:g} is smaller than the number of rounds '
                f'({num_rounds}): some rounds would select nothing')
        if reference_size is not None and type != 'pixels_per_image':
            raise ValueError('reference_size only applies to pixels_per_image budgets')
        self.type = type
        self.value = value
        self.num_rounds = num_rounds
        self.reference_size = None if reference_size is None else tuple(reference_size)
        self.rounding = rounding

    @property
    def ratio(self) -> Optional[float]:
        """The budget as a fraction of the pool, when it is one."""
        return self.value if self.type == 'ratio' else None

    def units_per_image(self, shape: Sequence[int], unit: BaseUnit,
                        round_index: int) -> int:
        """Units one image contributes to a round's budget.

        Args:
            shape: (H, W) of the image's label map.
            unit: The selection unit.
            round_index: 1-based round.

        Returns:
            int: Number of units (0 for image budgets: see ``round_units``).
        """
        if self.type == 'ratio':
            h, w = shape
            r = self.value / self.num_rounds
            return _round(h * w * r / unit_pixels(unit, shape), 'ceil')
        if self.type == 'pixels_per_image':
            if self.reference_size is not None:
                return pixels_per_image(int(self.value), self.reference_size, shape,
                                        self.num_rounds, self.rounding)
            return split_over_rounds(self.value, self.num_rounds, round_index)
        return 1  # an image is at most one unit

    def round_units(self, shapes: Sequence[Tuple[int, int]], unit: BaseUnit,
                    round_index: int) -> int:
        """Total units of a round over the whole pool.

        Args:
            shapes: (H, W) of every pool image.
            unit: The selection unit.
            round_index: 1-based round.

        Returns:
            int: The round's budget in units.
        """
        if self.type == 'images':
            n = split_over_rounds(self.value, self.num_rounds, round_index)
            if self.value > len(shapes):
                raise ValueError(f'budget of {self.value:g} images exceeds the pool '
                                 f'({len(shapes)} images)')
            return n
        return sum(self.units_per_image(s, unit, round_index) for s in shapes)

    def check_pool(self, shapes: Sequence[Tuple[int, int]]) -> None:
        """Refuse budgets larger than the pool.

        Args:
            shapes: (H, W) of every pool image.
        """
        if not shapes:
            raise ValueError('the target pool is empty')
        if self.type == 'images' and self.value > len(shapes):
            raise ValueError(f'budget of {self.value:g} images exceeds the pool '
                             f'({len(shapes)} images)')
        if self.type == 'pixels_per_image':
            smallest = min(h * w for h, w in shapes)
            if self.reference_size is None and self.value > smallest:
                raise ValueError(f'{self.value:g} pixels per image exceeds the smallest '
                                 f'image ({smallest} pixels)')
