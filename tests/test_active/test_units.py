"""Selection units: greedy equal to the naive procedure, masks, no overlap."""
import math

import pytest
import torch

from mmada.active import GridPatchUnit, ImageUnit, PixelUnit, SquareRegionUnit
from mmada.active import functional as F


def naive_greedy(score, excluded, max_units, radius):
    """Reference: argmax over the whole map, take, suppress, repeat."""
    work = score.clone()
    work[excluded] = -math.inf
    width = work.shape[1]
    values, positions = [], []
    for _ in range(max_units):
        pos = int(torch.argmax(work))  # first maximum in row-major order
        value = work.view(-1)[pos].item()
        if value == -math.inf:
            break
        values.append(value)
        positions.append(pos)
        y, x = divmod(pos, width)
        work[max(0, y - radius):y + radius + 1,
             max(0, x - radius):x + radius + 1] = -math.inf
    return values, positions


def random_case(seed, ties=False):
    gen = torch.Generator().manual_seed(seed)
    height = int(torch.randint(1, 40, (1, ), generator=gen))
    width = int(torch.randint(1, 50, (1, ), generator=gen))
    score = torch.rand(height, width, generator=gen)
    if ties:
        score = (score * 5).floor()
    excluded = torch.rand(height, width, generator=gen) < 0.15
    max_units = int(torch.randint(0, height * width + 3, (1, ), generator=gen))
    return score, excluded, max_units


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('k', [0, 1, 2, 3])
def test_pixel_unit_equals_naive_greedy(seed, k):
    score, excluded, max_units = random_case(seed)
    values, positions = PixelUnit(suppress_k=k).greedy(score, excluded,
                                                       max_units)
    ref_values, ref_positions = naive_greedy(score, excluded, max_units, k)
    assert positions.tolist() == ref_positions
    assert values.tolist() == ref_values


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('k', [0, 1, 2, 3])
def test_square_unit_equals_naive_greedy(seed, k):
    score, excluded, max_units = random_case(100 + seed)
    values, positions = SquareRegionUnit(k=k).greedy(score, excluded,
                                                     max_units)
    ref_values, ref_positions = naive_greedy(score, excluded, max_units, 2 * k)
    assert positions.tolist() == ref_positions
    assert values.tolist() == ref_values


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('radius', [0, 1, 3])
@pytest.mark.parametrize('block_size', [1, 3, 8, 32])
def test_greedy_with_ties_and_block_sizes(seed, radius, block_size):
    score, excluded, max_units = random_case(200 + seed, ties=True)
    _, positions = F.greedy_suppress(
        score, excluded, max_units, radius, block_size=block_size)
    assert positions.tolist() == naive_greedy(score, excluded, max_units,
                                              radius)[1]


@pytest.mark.parametrize('radius', [1, 2, 32])
def test_greedy_on_a_flat_map_breaks_ties_row_major(radius):
    # Pure regions have impurity 0: large flat areas tie across many tiles.
    score = torch.zeros(70, 100)
    score[40:50, 60:70] = 1.0  # a few better centres, then the flat rest
    excluded = torch.zeros(70, 100, dtype=torch.bool)
    excluded[0, :5] = True
    _, positions = F.greedy_suppress(score, excluded, 150, radius, block_size=32)
    assert positions.tolist() == naive_greedy(score, excluded, 150, radius)[1]


@pytest.mark.parametrize('seed', range(4))
def test_greedy_sort_path_for_radius_zero(seed):
    score, excluded, max_units = random_case(300 + seed, ties=seed % 2 == 1)
    values, positions = F.greedy_suppress(
        score, excluded, max_units, 0, method='sort')
    ref_values, ref_positions = naive_greedy(score, excluded, max_units, 0)
    assert positions.tolist() == ref_positions
    assert values.tolist() == ref_values


def test_greedy_handles_inf_and_stops_when_all_excluded():
    score = torch.tensor([[1., math.inf, -math.inf], [2., 0., 3.]])
    values, positions = F.greedy_suppress(score, None, 10, 0)
    # +inf first, -inf never picked
    assert positions.tolist() == [1, 5, 3, 0, 4]
    assert values[0] == math.inf
    excluded = torch.ones(2, 3, dtype=torch.bool)
    values, positions = PixelUnit().greedy(score, excluded, 5)
    assert values.numel() == 0 and positions.numel() == 0


def test_square_masks_hand_example():
    unit = SquareRegionUnit(k=1)
    shape = (5, 5)
    # centre (0, 0): square rows 0-1, cols 0-1 (4 px, clipped at the corner)
    # centre (2, 3): square rows 1-3, cols 2-4 (9 px)
    positions = torch.tensor([0, 2 * 5 + 3])
    footprint = unit.footprint(positions, shape)
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[0:2, 0:2] = True
    expected[1:4, 2:5] = True
    assert torch.equal(footprint, expected)
    assert unit.cost(positions, shape).tolist() == [4, 9]
    # exclusion radius 2k = 2 around (0, 0): rows 0-2, cols 0-2
    exclusion = unit.exclusion(positions[:1], shape)
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[0:3, 0:3] = True
    assert torch.equal(exclusion, expected)


def test_pixel_unit_masks_hand_example():
    unit = PixelUnit(suppress_k=1)
    positions = torch.tensor([4])  # (0, 4): top-right corner of 3x5
    assert unit.footprint(positions, (3, 5)).nonzero().tolist() == [[0, 4]]
    assert unit.cost(positions, (3, 5)).tolist() == [1]
    # neighbourhood of radius 1 clipped: rows 0-1, cols 3-4
    assert unit.exclusion(positions, (3, 5)).nonzero().tolist() == [[0, 3],
                                                                    [0, 4],
                                                                    [1, 3],
                                                                    [1, 4]]


@pytest.mark.parametrize('k', [1, 2])
def test_squares_never_overlap_across_rounds(k):
    unit = SquareRegionUnit(k=k)
    gen = torch.Generator().manual_seed(k)
    shape = (23, 31)
    excluded = torch.zeros(shape, dtype=torch.bool)
    labelled = torch.zeros(shape, dtype=torch.int64)
    for _ in range(2):  # two rounds, the exclusion is carried over
        score = torch.rand(shape, generator=gen)
        _, positions = unit.greedy(score, excluded, 15)
        footprint = unit.footprint(positions, shape)
        # within the round: squares are disjoint
        assert int(footprint.sum()) == int(unit.cost(positions, shape).sum())
        for pos in positions.tolist():
            square = unit.footprint(torch.tensor([pos]), shape)
            labelled += square.long()
        excluded |= unit.exclusion(positions, shape)
    assert labelled.max() == 1  # no pixel labelled twice across rounds


def test_square_unit_mean_reduction():
    # reduce='mean' ranks centres by the mean score over their square
    score = torch.zeros(5, 5)
    score[0, 0] = 8.  # corner square has 4 px -> mean 2 at centres near it
    score[4, 2] = 9.  # edge square has 6 px -> mean 1.5
    unit = SquareRegionUnit(k=1, reduce='mean')
    values, positions = unit.greedy(score, None, 1)
    assert positions.tolist() == [0]  # (0, 0): mean 8/4 = 2
    assert values.tolist() == [2.0]


def test_grid_patch_unit_hand_example():
    score = torch.arange(25, dtype=torch.float32).reshape(5, 5)
    unit = GridPatchUnit(patch_size=2)
    # patch means (3x3 grid, last row/column cropped):
    #   (0,0) {0,1,5,6}=3    (0,1) {2,3,7,8}=5      (0,2) {4,9}=6.5
    #   (1,0) {10,11,15,16}=13 (1,1) {12,13,17,18}=15 (1,2) {14,19}=16.5
    #   (2,0) {20,21}=20.5   (2,1) {22,23}=22.5     (2,2) {24}=24
    # positions are top-left pixels: (2,2)->24, (2,1)->22, (2,0)->20,
    # (1,2)->14, (1,1)->12, (1,0)->10, (0,2)->4, (0,1)->2, (0,0)->0
    values, positions = unit.greedy(score, None, 4)
    assert positions.tolist() == [24, 22, 20, 14]
    assert values.tolist() == [24.0, 22.5, 20.5, 16.5]
    excluded = torch.zeros(5, 5, dtype=torch.bool)
    excluded[4, 2] = True  # top-left pixel of patch (2,1)
    _, positions = unit.greedy(score, excluded, 2)
    assert positions.tolist() == [24, 20]
    assert unit.cost(torch.tensor([24, 14, 0]), (5, 5)).tolist() == [1, 2, 4]
    footprint = unit.footprint(torch.tensor([14]), (5, 5))
    assert footprint.nonzero().tolist() == [[2, 4], [3, 4]]
    assert torch.equal(unit.exclusion(torch.tensor([14]), (5, 5)), footprint)
    # max reduction: patch (0,2) = max(4, 9) = 9
    max_values, _ = GridPatchUnit(2, reduce='max').greedy(score, None, 9)
    assert sorted(max_values.tolist()) == [6, 8, 9, 16, 18, 19, 21, 23, 24]
    with pytest.raises(ValueError):
        unit.footprint(torch.tensor([1]), (5, 5))  # not a patch corner


def test_image_unit():
    score = torch.arange(25, dtype=torch.float32).reshape(5, 5)
    unit = ImageUnit()
    values, positions = unit.greedy(score, None, 3)
    assert values.tolist() == [12.0] and positions.tolist() == [0]  # mean
    assert ImageUnit('max').greedy(score, None, 1)[0].tolist() == [24.0]
    assert ImageUnit('sum').greedy(score, None, 1)[0].tolist() == [300.0]
    assert unit.greedy(score, None, 0)[1].numel() == 0
    assert unit.footprint(positions, (5, 5)).all()
    assert unit.cost(positions, (5, 5)).tolist() == [25]
    excluded = unit.exclusion(positions, (5, 5))
    assert unit.greedy(score, excluded, 1)[1].numel() == 0


@pytest.mark.parametrize('build', [
    lambda: PixelUnit(suppress_k=-1),
    lambda: SquareRegionUnit(k=-2),
    lambda: SquareRegionUnit(k=1.5),
    lambda: SquareRegionUnit(reduce='median'),
    lambda: GridPatchUnit(0),
    lambda: GridPatchUnit((4, 0)),
    lambda: ImageUnit(reduce='median'),
])
def test_bad_unit_arguments(build):
    with pytest.raises(ValueError):
        build()


def test_bad_greedy_inputs():
    unit = PixelUnit()
    with pytest.raises(ValueError):
        unit.greedy(torch.rand(4, 4), None, -1)
    with pytest.raises(ValueError):
        unit.greedy(torch.rand(4, 4), torch.zeros(4, 5, dtype=torch.bool), 2)
    with pytest.raises(ValueError):
        unit.greedy(torch.rand(2, 4, 4), None, 2)
    with pytest.raises(ValueError):
        unit.greedy(torch.tensor([[1.0, math.nan]]), None, 2)
    with pytest.raises(ValueError):
        unit.footprint(torch.tensor([16]), (4, 4))
