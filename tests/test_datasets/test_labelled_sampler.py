"""LabelledTargetTwoDomainSampler: targets from the labelled images at the given rate."""
import itertools

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
    sampler.labelled_indices = lambda: list(labelled)
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
