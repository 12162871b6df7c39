"""Budgets in the papers' units (mmada.active.budget)."""
import math

import pytest

from mmada.active.allocators import regions_per_image
from mmada.active.budget import Budget, split_over_rounds, unit_pixels
from mmada.active.units import ImageUnit, PixelUnit, SquareRegionUnit


def test_split_over_rounds_is_exact_and_never_above_total():
    # 40 pixels over 5 rounds: 8 each; 7 over 3 rounds: floor(7/3)=2, floor(14/3)-2=2, 7-4=3
    assert [split_over_rounds(40, 5, r) for r in range(1, 6)] == [8, 8, 8, 8, 8]
    assert [split_over_rounds(7, 3, r) for r in range(1, 4)] == [2, 2, 3]
    assert sum(split_over_rounds(10.5, 4, r) for r in range(1, 5)) == 10
    with pytest.raises(ValueError):
        split_over_rounds(7, 3, 4)


def test_ratio_budget_is_ripu_regions_per_image():
    budget = Budget('ratio', 0.022, num_rounds=5)
    unit = SquareRegionUnit(k=1)
    # RIPU: ceil(1024 * 2048 * 0.0044 / 9) = ceil(1025.3) = 1026 squares per round
    assert budget.units_per_image((1024, 2048), unit, 1) == 1026
    assert budget.units_per_image((64, 128), unit, 3) == math.ceil(64 * 128 * 0.0044 / 9) == 5
    assert budget.units_per_image((1024, 2048), unit, 1) == regions_per_image((1024, 2048), 0.022, 5, 1)
    assert budget.round_units([(64, 128)] * 12, unit, 1) == 60
    assert unit_pixels(unit, (64, 128)) == 9 and unit_pixels(PixelUnit(), (64, 128)) == 1


def test_pixels_per_image_with_and_without_reference_size():
    unit = PixelUnit(suppress_k=32)
    scaled = Budget('pixels_per_image', 40, 5, reference_size=(640, 1280))
    # 8 px per round at 640x1280 -> x2.56 area at 1024x2048 = 20.48 -> 20
    assert scaled.units_per_image((1024, 2048), unit, 2) == 20
    assert scaled.units_per_image((640, 1280), unit, 2) == 8
    exact = Budget('pixels_per_image', 42, 5)
    assert [exact.units_per_image((64, 128), unit, r) for r in range(1, 6)] == [8, 8, 9, 8, 9]


def test_images_budget_and_per_round_values():
    budget = Budget('images', 7, num_rounds=3)
    assert [budget.round_units([(8, 8)] * 10, ImageUnit(), r) for r in (1, 2, 3)] == [2, 2, 3]
    assert Budget('ratio', 0.01, 5, per_round=True).value == pytest.approx(0.05)
    assert Budget('pixels_per_image', 8, 5, per_round=True).value == 40


@pytest.mark.parametrize('kwargs,match', [
    (dict(type='ratio', value=0, num_rounds=5), '> 0'),
    (dict(type='ratio', value=-0.1, num_rounds=5), '> 0'),
    (dict(type='ratio', value=1.5, num_rounds=5), r'\(0, 1\]'),
    (dict(type='pixels', value=3, num_rounds=5), 'budget type'),
    (dict(type='images', value=2.5, num_rounds=1), 'whole number'),
    (dict(type='images', value=3, num_rounds=5), 'smaller than the number of rounds'),
    (dict(type='ratio', value=0.1, num_rounds=0), 'num_rounds'),
    (dict(type='ratio', value=0.1, num_rounds=5, reference_size=(8, 8)), 'reference_size'),
])
def test_bad_budgets_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Budget(**kwargs)


def test_budgets_beyond_the_pool_are_refused():
    with pytest.raises(ValueError, match='exceeds the pool'):
        Budget('images', 11, 5).check_pool([(8, 8)] * 10)
    with pytest.raises(ValueError, match='exceeds the smallest image'):
        Budget('pixels_per_image', 65, 5).check_pool([(8, 8)] * 10)
    with pytest.raises(ValueError, match='empty'):
        Budget('ratio', 0.1, 5).check_pool([])
