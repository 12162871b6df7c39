"""LabelledTargetTwoDomainSampler: targets from the labelled images at the given rate, the
labelled set of the round in force at each stream position, a stream that restarts at ``start``."""
import itertools

import numpy as np
import pytest
import torch

from mmada.datasets import LabelledTargetTwoDomainSampler, TwoDomainDataset


class _Target(torch.utils.data.Dataset):
    metainfo = {}

    def __init__(self, n, store_dir=None):
        self.n, self.label_store_dir = n, store_dir

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i

    def keys(self):
        return [f'img{i}.png' for i in range(self.n)]


def _sampler(labelled, ratio, seed=0, n=100):
    ds = TwoDomainDataset(source=_Target(10), target=_Target(n))
    sampler = LabelledTargetTwoDomainSampler(ds, labelled_ratio=ratio, seed=seed)
    sampler.labelled_indices = lambda upto_round=None: list(labelled)
    return sampler


def test_targets_come_from_the_labelled_images_at_the_rate():
    labelled = [3, 50, 97]
    pairs = list(itertools.islice(iter(_sampler(labelled, 0.5)), 2000))
    targets = [t for _, t in pairs]
    share = sum(t in labelled for t in targets) / len(targets)
    assert 0.45 < share < 0.56  # 0.5 drawn from the labelled + 3 % of the pool draws
    # every labelled image is used equally often (passes without replacement)
    counts = [targets.count(i) for i in labelled]
    assert max(counts) - min(counts) <= 1 + 0.1 * max(counts)
    # the source stream is the plain sampler's
    assert [s for s, _ in pairs[:10]] == [s for s, _ in itertools.islice(
        iter(_sampler([], 0.0)), 10)]


def test_no_labelled_images_means_the_whole_pool_and_draws_are_seeded():
    none = list(itertools.islice(iter(_sampler([], 0.5)), 50))
    plain = list(itertools.islice(iter(_sampler([], 0.0)), 50))
    assert [t for _, t in none] != [] and len(set(t for _, t in none)) > 20
    a = list(itertools.islice(iter(_sampler([1, 2], 0.5, seed=3)), 100))
    b = list(itertools.islice(iter(_sampler([1, 2], 0.5, seed=3)), 100))
    assert a == b and plain != a


def test_needs_an_active_target():
    plain = _Target(3)
    del plain.label_store_dir
    ds = TwoDomainDataset(source=_Target(2), target=plain)
    with pytest.raises(TypeError, match='ActiveTargetDataset'):
        LabelledTargetTwoDomainSampler(ds)
    with pytest.raises(ValueError, match='labelled_ratio'):
        LabelledTargetTwoDomainSampler(TwoDomainDataset(_Target(2), _Target(2)), labelled_ratio=2)


def _store_sampler(tmp_path, ratio=1.0, n=8):
    """A sampler over a real label store: image k labelled in round k (k = 1, 2, 3),
    image 1 again in round 3."""
    from mmada.active.label_store import LabelStore, RoundUpdate
    root = str(tmp_path / 'store')
    store = LabelStore(root, num_classes=3)
    for r, keys in ((1, ['img1.png']), (2, ['img2.png']), (3, ['img1.png', 'img3.png'])):
        pixels = [1] if r == 3 else [0, 3]
        store.commit_round(r, {key: RoundUpdate(
            shape=(2, 2), pixels=np.array(pixels), labels=np.ones(len(pixels), np.uint8))
            for key in keys})
    ds = TwoDomainDataset(source=_Target(10), target=_Target(n, root))
    return LabelledTargetTwoDomainSampler(ds, labelled_ratio=ratio, seed=0), store


def test_label_rounds_switch_the_labelled_set_at_their_positions(tmp_path):
    sampler, store = _store_sampler(tmp_path)
    assert store.keys_with_labels(1) == ['img1.png'] and store.keys_with_labels(0) == []
    assert store.keys_with_labels(2) == ['img1.png', 'img2.png']  # img1's round-3 pixels aside
    assert store.keys_with_labels() == ['img1.png', 'img2.png', 'img3.png']
    # built now: round 3 from the first pair on
    assert sampler.label_rounds == [(0, 3)]
    assert {t for _, t in itertools.islice(iter(sampler), 40)} == {1, 2, 3}
    # round 0 (no labels: the pool) up to pair 10, round 1 up to pair 20, then round 2
    sampler.set_label_rounds([(0, 0), (10, 1), (20, 2)])
    targets = [t for _, t in itertools.islice(iter(sampler), 60)]
    assert len(set(targets[:10])) > 2 and set(targets[10:20]) == {1}
    assert set(targets[20:]) == {1, 2}
    # a later start continues the same stream (what a rebuilt iterator does)
    sampler.start = 15
    assert [t for _, t in itertools.islice(iter(sampler), 45)] == targets[15:]
    with pytest.raises(ValueError, match='increasing'):
        sampler.set_label_rounds([(10, 1), (0, 2)])


def _acp_share(sampler, batch_size, labelled, batches=400):
    """Share of batches with >= 2 labelled targets (ACP runs) and with none."""
    pairs = list(itertools.islice(iter(sampler), batches * batch_size))
    counts = [sum(t in labelled for _, t in pairs[i:i + batch_size])
              for i in range(0, len(pairs), batch_size)]
    return sum(c >= 2 for c in counts) / batches, sum(c == 0 for c in counts) / batches


def test_a_fixed_number_of_labelled_targets_per_batch_runs_acp_every_step():
    labelled = [3, 50, 97]
    # a rate of 0.5 with 2 targets per batch: ACP (two labelled images) in about a
    # quarter of the steps, no labelled image in about a quarter (1.5 % of the pool
    # draws hit a labelled image too)
    runs, none = _acp_share(_sampler(labelled, 0.5), 2, labelled)
    assert 0.2 < runs < 0.32 and 0.2 < none < 0.32
    ds = TwoDomainDataset(source=_Target(10), target=_Target(100))
    fixed = LabelledTargetTwoDomainSampler(ds, labelled_per_batch=2, batch_size=4, seed=0)
    fixed.labelled_indices = lambda upto_round=None: list(labelled)
    assert _acp_share(fixed, 4, labelled) == (1.0, 0.0)
    pairs = list(itertools.islice(iter(fixed), 8))
    assert [t in labelled for _, t in pairs[:2] + pairs[4:6]] == [True] * 4
    # the labelled images are used in turn, the other slots come from the pool
    targets = [t for _, t in itertools.islice(iter(fixed), 4 * 300)]
    assert sorted(targets.count(i) for i in labelled)[0] >= 200


def test_fixed_labelled_slots_hold_on_every_rank():
    labelled = [3, 50, 97]
    ds = TwoDomainDataset(source=_Target(10), target=_Target(100))
    for rank in (0, 1):
        sampler = LabelledTargetTwoDomainSampler(ds, labelled_per_batch=1, batch_size=2, seed=0)
        sampler.labelled_indices = lambda upto_round=None: list(labelled)
        sampler.rank, sampler.world_size = rank, 2
        pairs = list(itertools.islice(iter(sampler), 200))
        assert all(pairs[i][1] in labelled for i in range(0, 200, 2))  # slot 0 of each batch
        assert sum(t in labelled for _, t in pairs[1::2]) < 20  # slot 1: the pool


def test_labelled_per_batch_needs_a_batch_size():
    ds = TwoDomainDataset(source=_Target(10), target=_Target(100, store_dir=None))
    with pytest.raises(ValueError, match='batch_size'):
        LabelledTargetTwoDomainSampler(ds, labelled_per_batch=2)
    with pytest.raises(ValueError, match='batch_size'):
        LabelledTargetTwoDomainSampler(ds, labelled_per_batch=3, batch_size=2)
    with pytest.raises(ValueError, match='not both'):
        LabelledTargetTwoDomainSampler(ds, labelled_ratio=0.5, labelled_per_batch=1, batch_size=2)
