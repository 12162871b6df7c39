"""Budgets in the papers' units (mmada.active.budget)."""
import math

import pytest

from mmada.active.allocators import GlobalTopNAllocator, PerImageAllocator
from mmada.active.budget import Budget, pixels_per_image, split_over_rounds, unit_pixels
from mmada.active.units import GridPatchUnit, ImageUnit, PixelUnit, SquareRegionUnit


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
    # 100 x 100 * 0.09 / 9 = 100 exactly: float noise (100.00000000000001) must not round up
    assert Budget('ratio', 0.09, 1).units_per_image((100, 100), unit, 1) == 100
    # 5 % of 640 x 1280 in one round, k=2: 40960 / 25 = 1638.4 -> 1639
    assert Budget('ratio', 0.05, 1).units_per_image((640, 1280), SquareRegionUnit(k=2), 1) == 1639
    assert budget.round_units([(64, 128)] * 12, unit, 1) == 60
    assert unit_pixels(unit, (64, 128)) == 9 and unit_pixels(PixelUnit(), (64, 128)) == 1
    # grid patches: a whole 16 x 16 patch; 5 points of a patch; a whole image
    from mmada.active import GridPointsUnit
    assert unit_pixels(GridPatchUnit(16), (64, 128)) == 256
    assert unit_pixels(GridPointsUnit(16, points_per_patch=5), (64, 128)) == 5
    assert unit_pixels(ImageUnit(), (64, 128)) == 8192
    # 2.2 % of 64 x 128 in one round with 8 x 8 patches: ceil(180.2 / 64) = 3 patches
    assert Budget('ratio', 0.022, 1).units_per_image((64, 128), GridPatchUnit(8), 1) == 3


def test_pixels_per_image_with_and_without_reference_size():
    unit = PixelUnit(suppress_k=32)
    scaled = Budget('pixels_per_image', 40, 5, reference_size=(640, 1280))
    # 8 px per round at 640x1280 -> x2.56 area at 1024x2048 = 20.48 -> 20
    assert scaled.units_per_image((1024, 2048), unit, 2) == 20
    assert scaled.units_per_image((640, 1280), unit, 2) == 8
    # the authors' rounding: 20.48 -> 21 per round (105 in total instead of 100)
    ceil = Budget('pixels_per_image', 40, 5, reference_size=(640, 1280), rounding='ceil')
    assert ceil.units_per_image((1024, 2048), unit, 2) == 21
    assert ceil.units_per_image((640, 1280), unit, 2) == 8  # exactly 8: no rounding up
    exact = Budget('pixels_per_image', 42, 5)
    assert [exact.units_per_image((64, 128), unit, r) for r in range(1, 6)] == [8, 8, 9, 8, 9]


def test_pixels_per_image_helper():
    # 40 px at 640x1280 -> 1024x2048: area ratio 2097152 / 819200 = 2.56;
    # 40 * 2.56 = 102.4 -> 102; per round over 5: 8 * 2.56 = 20.48 -> 20 (ceil: 21)
    assert pixels_per_image(40, (640, 1280), (1024, 2048)) == 102
    assert pixels_per_image(40, (640, 1280), (1024, 2048), num_rounds=5) == 20
    assert pixels_per_image(40, (640, 1280), (1024, 2048), 5, rounding='ceil') == 21
    # 40 * (320 x 640) / (640 x 1280) = 10 exactly, also when rounding up
    assert pixels_per_image(40, (640, 1280), (320, 640), rounding='ceil') == 10
    # at least one pixel: 1 * 100 / 819200 rounds to 0 -> 1
    assert pixels_per_image(1, (640, 1280), (10, 10)) == 1
    for call in (lambda: pixels_per_image(0, (640, 1280), (10, 10)),
                 lambda: pixels_per_image(40, (0, 1280), (10, 10)),
                 lambda: pixels_per_image(40, (640, 1280), (10, 10), rounding='up')):
        with pytest.raises(ValueError):
            call()


def test_images_budget_and_per_round_values():
    budget = Budget('images', 7, num_rounds=3)
    assert [budget.round_units([(8, 8)] * 10, ImageUnit(), r) for r in (1, 2, 3)] == [2, 2, 3]
    # MADA: round(0.05 x 2975) = 149 images, all in one round
    assert Budget('images', 149, 1).round_units([(8, 8)] * 2975, ImageUnit(), 1) == 149
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


def test_one_round_api_for_every_allocator():
    # Per image: 2.2 % of 64x128 in 5 rounds with 3x3 squares is ceil(8192 * 0.0044 / 9)
    # = ceil(4.005) = 5 squares per image; dataset-wide the round has 3 x 5 = 15.
    budget, unit, shapes = Budget('ratio', 0.022, 5), SquareRegionUnit(k=1), [(64, 128)] * 3
    per_image, global_ = PerImageAllocator(), GlobalTopNAllocator()
    per_image.start_round(budget, unit, shapes, 1)
    global_.start_round(budget, unit, shapes, 1)
    per_image.begin_image(0, (64, 128))
    global_.begin_image(0, (64, 128))
    assert per_image.max_units() == 5 and global_.max_units() == 15
    assert per_image.threshold == -math.inf


def test_images_budget_with_per_image_allocator_is_refused():
    with pytest.raises(ValueError, match='dataset-wide allocator'):
        PerImageAllocator().check_budget(Budget('images', 3, 1))
    GlobalTopNAllocator().check_budget(Budget('images', 3, 1))  # fine


def test_maskable_units():
    # Masking scores below the global cut is only safe when a unit's greedy scores
    # are the map's own values at the picked positions.
    assert PixelUnit().maskable and SquareRegionUnit(k=1).maskable
    assert not SquareRegionUnit(k=1, reduce='mean').maskable
    assert not GridPatchUnit(4).maskable and not ImageUnit().maskable
