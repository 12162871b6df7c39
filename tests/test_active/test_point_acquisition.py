"""Active point supervision's acquisition pieces on hand examples: summed-entropy
patch scores, top-K patches as a budget in points, the grid scaled to the image,
points inside their patches and never in excluded ones, the zero (pseudo-label
only) budget."""
import math

import pytest
import torch

from mmada.active import GridPointsUnit
from mmada.active.allocators import PerImageAllocator
from mmada.active.budget import Budget
from mmada.active.engine import AcquisitionRound, image_context
from mmada.active.scorers import EntropyScorer
from mmada.active.units import GridPatchUnit

LN2 = math.log(2)


def _ctx(shape, idx=0):
    return image_context(3, 1, idx, torch.zeros(shape, dtype=torch.bool))


def test_summed_entropy_patch_scores_and_top_k_in_points():
    # 4 x 8 map, grid (2, 2): 2 x 4 patches. Two classes; a pixel at p = 0.5 has
    # entropy ln 2, a pixel at p = 1 has 0. Patch (0, 1) holds 3 uncertain pixels,
    # patch (1, 0) one, patch (1, 1) two: Eq. 5 sums -> 3 ln2, ln2, 2 ln2, 0.
    probs = torch.zeros(2, 4, 8)
    probs[0] = 1.0
    for y, x in [(0, 4), (0, 5), (1, 7), (3, 0), (2, 6), (3, 7)]:
        probs[:, y, x] = 0.5
    score = EntropyScorer()(probs, _ctx((4, 8)))
    unit = GridPointsUnit(grid=(2, 2), points_per_patch=5, reduce='sum')
    assert unit.patch_shape((4, 8)) == (2, 4)
    values, positions = unit.greedy(score, torch.zeros(4, 8, dtype=torch.bool), 4)
    assert values.tolist() == pytest.approx([3 * LN2, 2 * LN2, LN2, 0.0])
    assert positions.tolist() == [4, 2 * 8 + 4, 2 * 8, 0]  # top-left corners
    # K = 2 patches = a budget of K x N = 10 points (5 per patch of 8 pixels)
    allocator = PerImageAllocator(budget_unit='pixels')
    allocator.reset(10)
    costs = unit.cost(positions, (4, 8), _ctx((4, 8)))
    assert costs.tolist() == [5, 5, 5, 5]
    allocator.push(0, values, positions, costs)
    assert allocator.result()[0].tolist() == [4, 2 * 8 + 4]


def test_grid_scales_with_the_image_and_patch_size_still_works():
    unit = GridPointsUnit(grid=(8, 16))
    assert unit.patch_shape((512, 1024)) == (64, 64)  # the paper: 128 patches of 64 x 64
    assert unit.patch_shape((128, 256)) == (16, 16)  # the synthetic benchmark
    assert unit.patch_shape((64, 128)) == (8, 8)  # the test fixture
    assert unit.patch_shape((100, 100)) == (13, 7)  # ceil: the last row/column is cut
    pts = unit.points((100, 100), _ctx((100, 100)))
    assert pts.shape == (8, 15, 5)  # ceil(100 / 7) = 15 columns of width 7
    assert unit.nominal_pixels((512, 1024)) == 5
    fixed = GridPointsUnit(patch_size=16)
    assert fixed.patch_shape((512, 1024)) == (16, 16) and fixed.grid is None
    for bad in (dict(), dict(patch_size=8, grid=(2, 2)), dict(grid=(0, 4)), dict(grid=(2, ))):
        with pytest.raises(ValueError, match='GridPointsUnit'):
            GridPointsUnit(**bad)


def test_points_inside_their_patches_reproducible_and_never_in_excluded_patches():
    shape = (64, 128)
    unit = GridPointsUnit(grid=(8, 16), points_per_patch=5, pseudo='points')
    ctx = _ctx(shape, idx=5)
    pts = unit.points(shape, ctx)
    ys, xs = pts // 128, pts % 128
    assert ((ys // 8) == torch.arange(8)[:, None, None]).all()
    assert ((xs // 8) == torch.arange(16)[None, :, None]).all()
    assert torch.equal(unit.points(shape, _ctx(shape, idx=5)), pts)  # same seed
    assert not torch.equal(unit.points(shape, _ctx(shape, idx=6)), pts)
    # the highest-scoring patch is excluded (picked in an earlier round): never picked,
    # and none of the footprint's points falls in it
    score = torch.zeros(shape)
    score[0:8, 8:16] = 10.0  # patch (0, 1)
    score[8:16, 0:8] = 5.0  # patch (1, 0)
    excluded = torch.zeros(shape, dtype=torch.bool)
    excluded[0:8, 8:16] = True
    _, positions = unit.greedy(score, excluded, 3)
    assert 8 not in positions.tolist() and positions[0].item() == 8 * 128
    foot = unit.footprint(positions, shape, ctx)
    assert foot.sum() == 15 and not (foot & excluded).any()
    assert foot.flatten()[pts[1, 0]].all()


def test_zero_budget_is_a_pseudo_label_only_round():
    budget = Budget('pixels_per_image', 0, 1)
    unit = GridPointsUnit(grid=(8, 16), pseudo='points')
    assert budget.units_per_image((64, 128), unit, 1) == 0
    AcquisitionRound(EntropyScorer(), unit, dict(type='PerImageAllocator', budget_unit='pixels'),
                     None, budget)
    with pytest.raises(ValueError, match='pseudo labels'):
        AcquisitionRound(EntropyScorer(), GridPatchUnit(8), dict(type='PerImageAllocator'),
                         None, budget)
    for kwargs in (dict(type='ratio', value=0), dict(type='images', value=0),
                   dict(type='pixels_per_image', value=0, reference_size=(8, 8))):
        with pytest.raises(ValueError, match='> 0'):
            Budget(num_rounds=1, **kwargs)
