"""Two-domain wrapper and sampler."""
import itertools

import pytest
from mmengine.dataset import BaseDataset

from mmada.datasets import InfiniteTwoDomainSampler, TwoDomainDataset


class _Toy(BaseDataset):
    METAINFO = dict(classes=('a', 'b'), palette=[[0, 0, 0], [1, 1, 1]])

    def __init__(self, n, name, metainfo=None, ignore_index=255):
        self.n, self.name, self.ignore_index = n, name, ignore_index
        super().__init__(metainfo=metainfo, lazy_init=False, serialize_data=False)

    def load_data_list(self):
        return [dict(i=i) for i in range(self.n)]

    def __getitem__(self, idx):
        return (self.name, idx)


def test_pairs_items_and_length():
    ds = TwoDomainDataset(_Toy(3, 's'), _Toy(5, 't'))
    assert len(ds) == 5
    assert ds[4] == dict(source=('s', 1), target=('t', 4))
    assert ds[(2, 3)] == dict(source=('s', 2), target=('t', 3))
    assert len(TwoDomainDataset(_Toy(3, 's'), _Toy(5, 't'), length=7)) == 7


@pytest.mark.parametrize('meta,match', [
    (dict(classes=('a', 'c')), 'classes differ'),
    (dict(palette=[[0, 0, 0], [2, 2, 2]]), 'palette differ'),
])
def test_refuses_different_label_spaces(meta, match):
    with pytest.raises(ValueError, match=match):
        TwoDomainDataset(_Toy(2, 's'), _Toy(2, 't', metainfo=meta))


def test_refuses_different_ignore_index():
    with pytest.raises(ValueError, match='ignore_index differs'):
        TwoDomainDataset(_Toy(2, 's'), _Toy(2, 't', ignore_index=0))


def test_sampler_independent_shuffles_cover_each_domain():
    ds = TwoDomainDataset(_Toy(4, 's'), _Toy(6, 't'))
    pairs = list(itertools.islice(iter(InfiniteTwoDomainSampler(ds, seed=3)), 24))
    src = [p[0] for p in pairs]
    tgt = [p[1] for p in pairs]
    # Every block of len(domain) indices is a permutation of that domain.
    for i in range(0, 24, 4):
        assert sorted(src[i:i + 4]) == [0, 1, 2, 3]
    for i in range(0, 24, 6):
        assert sorted(tgt[i:i + 6]) == list(range(6))
    # Pairings change across epochs: source 0 meets several targets.
    assert len({t for s, t in pairs if s == 0}) > 1
    # Deterministic for a seed, different for another.
    again = list(itertools.islice(iter(InfiniteTwoDomainSampler(ds, seed=3)), 24))
    other = list(itertools.islice(iter(InfiniteTwoDomainSampler(ds, seed=4)), 24))
    assert pairs == again and pairs != other


def test_sampler_splits_the_stream_over_ranks(monkeypatch):
    import mmada.datasets.two_domain as mod
    ds = TwoDomainDataset(_Toy(4, 's'), _Toy(6, 't'))
    full = list(itertools.islice(iter(InfiniteTwoDomainSampler(ds, seed=0)), 12))
    parts = []
    for rank in range(2):
        monkeypatch.setattr(mod, 'get_dist_info', lambda r=rank: (r, 2))
        parts.append(list(itertools.islice(iter(InfiniteTwoDomainSampler(ds, seed=0)), 6)))
    assert parts[0] == full[0::2] and parts[1] == full[1::2]
