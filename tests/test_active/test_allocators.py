"""Allocators: exact budgets, streaming top-N = brute force, one round API."""
import random

import numpy as np
import pytest
import torch

from mmada.active import (GlobalTopNAllocator, PerImageAllocator, PixelUnit,
                          SquareRegionUnit)
from mmada.registry import ALLOCATORS


@pytest.mark.parametrize('call', [
    lambda: GlobalTopNAllocator(budget_unit='images'),
    lambda: PerImageAllocator().reset(-1),
])
def test_bad_budgets(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------
# PerImageAllocator
# --------------------------------------------------------------------------
def test_per_image_allocator_units_and_pixels():
    alloc = ALLOCATORS.build(dict(type='PerImageAllocator'))
    alloc.reset(2)
    assert alloc.max_units() == 2
    alloc.push(7, torch.tensor([0.9, 0.5, 0.1]), torch.tensor([3, 8, 1]))
    alloc.push(2, torch.tensor([0.4]), torch.tensor([6]))
    alloc.push(5, torch.zeros(0), torch.zeros(0, dtype=torch.long))
    result = alloc.result()
    assert {k: v.tolist() for k, v in result.items()} == {2: [6], 7: [3, 8]}

    alloc = PerImageAllocator(budget_unit='pixels')
    alloc.reset(20)
    assert alloc.max_units(min_cost=4) == 5
    # costs 4, 9, 9, 6: cumulative 4, 13, 22 -> stop before exceeding 20
    alloc.push(
        0,
        torch.tensor([4., 3., 2., 1.]),
        torch.tensor([0, 1, 2, 3]),
        costs=torch.tensor([4, 9, 9, 6]))
    assert alloc.result()[0].tolist() == [0, 1]
    with pytest.raises(ValueError):
        alloc.push(1, torch.tensor([1.]), torch.tensor([0]))  # no costs
    with pytest.raises(ValueError):
        alloc.push(
            1,
            torch.tensor([1., 2.]),
            torch.tensor([0, 1]),
            costs=torch.tensor([1, 1]))  # increasing scores


# --------------------------------------------------------------------------
# GlobalTopNAllocator
# --------------------------------------------------------------------------
def test_global_topn_hand_example():
    # global order by (score desc, image, position):
    #   0.9 (img 0, pos 3), 0.8 (img 1, pos 2), 0.5 (img 0, pos 7),
    #   0.5 (img 1, pos 5), 0.4 (img 1, pos 9), 0.1 (img 0, pos 1)
    seqs = {
        0: ([0.9, 0.5, 0.1], [3, 7, 1]),
        1: ([0.8, 0.5, 0.4], [2, 5, 9]),
    }
    for order in ([0, 1], [1, 0]):
        for budget, expected in [(4, {
                0: [3, 7],
                1: [2, 5]
        }), (3, {
                0: [3, 7],
                1: [2]
        }), (1, {
                0: [3]
        }), (0, {})]:
            alloc = GlobalTopNAllocator(compact_every=1)
            alloc.reset(budget)
            for index in order:
                scores, positions = seqs[index]
                alloc.push(index, torch.tensor(scores),
                           torch.tensor(positions))
            result = {k: v.tolist() for k, v in alloc.result().items()}
            assert result == expected


def greedy_sequences(unit, num_images, seed, shape=(11, 13)):
    """Full greedy sequence (scores, positions, costs) of every image."""
    gen = torch.Generator().manual_seed(seed)
    seqs = {}
    for index in range(num_images):
        score = torch.rand(shape, generator=gen)
        if index % 3 == 0:
            score = (score * 4).floor()  # ties within and across images
        scores, positions = unit.greedy(score, None, score.numel())
        seqs[index * 10 + 3] = (scores, positions, unit.cost(positions, shape))
    return seqs


def brute_force(seqs, budget, pixels):
    """All candidates sorted by (score desc, image, position), cut to the
    longest prefix within the budget."""
    rows = [(float(s), index, int(p), int(c) if pixels else 1)
            for index, (scores, positions, costs) in seqs.items()
            for s, p, c in zip(scores, positions, costs)]
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    picked, spent = {}, 0
    for score, index, pos, cost in rows:
        if spent + cost > budget:
            break
        spent += cost
        picked.setdefault(index, []).append(pos)
    return picked, spent


@pytest.mark.parametrize('seed', range(3))
@pytest.mark.parametrize('unit,budget_unit,budget', [
    (PixelUnit(suppress_k=1), 'units', 37),
    (SquareRegionUnit(k=1), 'units', 25),
    (SquareRegionUnit(k=1), 'pixels', 151),
    (SquareRegionUnit(k=2), 'pixels', 400),
])
def test_global_topn_equals_brute_force_any_order(seed, unit, budget_unit,
                                                  budget):
    seqs = greedy_sequences(unit, num_images=7, seed=seed)
    expected, spent = brute_force(seqs, budget, budget_unit == 'pixels')
    assert spent <= budget
    rng = random.Random(seed)
    for trial in range(3):
        order = list(seqs)
        rng.shuffle(order)
        alloc = GlobalTopNAllocator(budget_unit, compact_every=1 + 5 * trial)
        alloc.reset(budget)
        for index in order:
            scores, positions, costs = seqs[index]
            alloc.push(index, scores, positions, costs)
        result = {k: v.tolist() for k, v in alloc.result().items()}
        assert result == expected
        assert alloc.spent == spent <= budget


def test_global_topn_shards_merge_to_the_same_result():
    unit = SquareRegionUnit(k=1)
    seqs = greedy_sequences(unit, num_images=9, seed=5)
    expected, _ = brute_force(seqs, 300, pixels=True)
    shards = [GlobalTopNAllocator('pixels', compact_every=4) for _ in range(3)]
    for shard in shards:
        shard.reset(300)
    for i, index in enumerate(sorted(seqs)):
        shards[(i * 7) % 3].push(index, *seqs[index])
    merged = shards[2]
    merged.merge(shards[0])
    merged.merge(shards[1])
    assert {k: v.tolist() for k, v in merged.result().items()} == expected


def test_global_topn_memory_is_bounded():
    # 200 images x 50 candidates pushed, budget 30 units: the allocator keeps
    # O(budget + compact_every) candidates, never the whole stream.
    alloc = GlobalTopNAllocator(compact_every=16)
    alloc.reset(30)
    gen = torch.Generator().manual_seed(0)
    peak = 0
    for index in range(200):
        scores = torch.rand(50, generator=gen).sort(descending=True).values
        alloc.push(index, scores, torch.arange(50))
        peak = max(peak, alloc._kept[0].size + alloc._buffered)
    assert peak <= 2 * max(30, 16) + 50
    assert len(alloc.candidates()['scores']) == 30
    assert alloc.threshold > 0.9  # 30 best of 10000 uniform scores


def test_global_topn_bad_inputs():
    alloc = GlobalTopNAllocator()
    alloc.reset(3)
    with pytest.raises(ValueError):
        alloc.push(0, torch.tensor([0.1, 0.5]), torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        alloc.push(0, torch.tensor([0.5]), torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        alloc.push(-1, torch.tensor([0.5]), torch.tensor([0]))
    with pytest.raises(ValueError):
        alloc.push(0, torch.tensor([np.nan]), torch.tensor([0]))
    other = GlobalTopNAllocator()
    other.reset(4)
    with pytest.raises(ValueError):
        alloc.merge(other)
