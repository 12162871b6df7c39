"""Two-domain dataset wrapper and its sampler.

A training batch of a domain adaptation method holds source *and* target
samples. :class:`TwoDomainDataset` pairs the two datasets; it is indexed either
by an ``int`` (source ``i % len(source)``, target ``i % len(target)``: a fixed
pairing, for evaluation-style iteration) or by a ``(source_index,
target_index)`` tuple, which :class:`InfiniteTwoDomainSampler` yields from two
independently shuffled streams so that pairs change every epoch. A
``(source_index, target_index, class, min_pixels, tries)`` tuple (DAFormer's
rare-class sampling) re-loads the source, hence re-draws its random crop, up
to ``tries`` times until its labels hold more than ``min_pixels`` pixels of
``class``.
"""
import itertools
from typing import Iterator, Optional, Tuple, Union

import torch
from mmengine.dataset import BaseDataset
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Dataset, Sampler

from mmada.registry import DATA_SAMPLERS, DATASETS


def _meta_value(dataset: Dataset, key: str):
    meta = getattr(dataset, 'metainfo', {}) or {}
    return meta.get(key)


@DATASETS.register_module()
class TwoDomainDataset(Dataset):
    """Pairs a labelled source dataset with a target dataset.

    Each item is ``dict(source=<sample>, target=<sample>)``; with mmengine's
    ``pseudo_collate`` a batch becomes ``dict(source=dict(inputs=[...],
    data_samples=[...]), target=dict(...))``, which
    :class:`~mmada.models.MultiDomainDataPreProcessor` understands.

    Both domains must share the label space: classes, palette and ignore index
    (``metainfo['classes']``, ``['palette']``, ``ignore_index``). Mismatches are
    refused at construction with a message naming the difference.

    Args:
        source: Source dataset or its config.
        target: Target dataset or its config.
        length: Length of one epoch; defaults to the larger of the two.
    """

    def __init__(self,
                 source: Union[dict, Dataset],
                 target: Union[dict, Dataset],
                 length: Optional[int] = None) -> None:
        self.source = DATASETS.build(source) if isinstance(source, dict) else source
        self.target = DATASETS.build(target) if isinstance(target, dict) else target
        self._check_compatible()
        self._length = length
        self._metainfo = dict(self.target.metainfo)

    def _check_compatible(self) -> None:
        """Refuse domains whose label spaces differ."""
        for key in ('classes', 'palette'):
            src, tgt = _meta_value(self.source, key), _meta_value(self.target, key)
            if src is not None and tgt is not None and \
                    [tuple(x) if isinstance(x, (list, tuple)) else x for x in src] != \
                    [tuple(x) if isinstance(x, (list, tuple)) else x for x in tgt]:
                raise ValueError(
                    f'TwoDomainDataset: source and target {key} differ:\n'
                    f'  source ({type(self.source).__name__}): {list(src)}\n'
                    f'  target ({type(self.target).__name__}): {list(tgt)}\n'
                    'Both domains must use the same label space; map the source '
                    'labels to the target classes (see docs/datasets.md).')
        src_ign = getattr(self.source, 'ignore_index', None)
        tgt_ign = getattr(self.target, 'ignore_index', None)
        if src_ign is not None and tgt_ign is not None and src_ign != tgt_ign:
            raise ValueError(
                f'TwoDomainDataset: ignore_index differs (source {src_ign}, '
                f'target {tgt_ign}); set the same ignore_index on both.')

    @property
    def metainfo(self) -> dict:
        """Meta information of the shared label space (the target's)."""
        return dict(self._metainfo)

    def full_init(self) -> None:
        """Fully initialise both domains (lazy-init datasets)."""
        for ds in (self.source, self.target):
            if isinstance(ds, BaseDataset):
                ds.full_init()

    def __len__(self) -> int:
        if self._length is not None:
            return self._length
        return max(len(self.source), len(self.target))

    def __getitem__(self, idx: Union[int, tuple]) -> dict:
        want = None
        if isinstance(idx, (tuple, list)):
            src_idx, tgt_idx, *want = idx
        else:
            src_idx, tgt_idx = idx, idx
        src_idx = int(src_idx) % len(self.source)
        source = self.source[src_idx]
        if want:
            source = self._recrop(src_idx, source, *want)
        return dict(source=source, target=self.target[int(tgt_idx) % len(self.target)])

    def _recrop(self, idx: int, sample: dict, cls: int, min_pixels: int, tries: int) -> dict:
        """Re-load source ``idx`` until its labels hold > ``min_pixels`` of ``cls``."""
        for _ in range(tries):
            labels = sample['data_samples'].gt_sem_seg.data
            if int((labels == cls).sum()) > min_pixels:
                break
            sample = self.source[idx]
        return sample


def _shuffled_stream(size: int, seed: int, shuffle: bool) -> Iterator[int]:
    """Endless concatenation of permutations of ``range(size)``."""
    g = torch.Generator()
    g.manual_seed(seed)
    while True:
        if shuffle:
            yield from torch.randperm(size, generator=g).tolist()
        else:
            yield from range(size)


@DATA_SAMPLERS.register_module()
class InfiniteTwoDomainSampler(Sampler):
    """Endless sampler of ``(source_index, target_index)`` pairs.

    The source and target indices come from two independent shuffled streams
    (seeds ``seed`` and ``seed + 1``), so every source image meets different
    target images across epochs. Like MMEngine's ``InfiniteSampler`` the
    streams are identical on every rank and each rank takes every
    ``world_size``-th pair, so ranks see disjoint data.

    ``start`` (0 by default) is the position in the common stream at which
    the next ``iter()`` begins: a train loop that rebuilds its dataloader
    iterator mid-run (:class:`~mmada.engine.ActiveIterBasedTrainLoop`, after
    an acquisition round) sets it to the pairs already drawn, so the stream
    continues where it was instead of starting over.

    Args:
        dataset: A :class:`TwoDomainDataset`.
        shuffle: Shuffle each domain.
        seed: Random seed, synchronised across ranks when ``None``.
    """

    def __init__(self,
                 dataset: TwoDomainDataset,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, TwoDomainDataset):
            raise TypeError('InfiniteTwoDomainSampler needs a TwoDomainDataset, '
                            f'got {type(dataset).__name__}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.start = 0

    def _pairs(self) -> Iterator[Tuple[int, int]]:
        src = _shuffled_stream(len(self.dataset.source), self.seed, self.shuffle)
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        return zip(src, tgt)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        yield from itertools.islice(self._pairs(), self.start + self.rank, None,
                                    self.world_size)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the streams are endless."""
