"""A two-domain sampler that over-draws the labelled target images.

With whole-image acquisition (MADA / MADAv2: 5 % of the images), a target
stream drawn uniformly from the pool shows a labelled image in one pair of
twenty; the authors' code gives the labelled images their own loader
instead. :class:`LabelledTargetTwoDomainSampler` draws the target of each
pair from the labelled images with probability ``labelled_ratio`` (else from
the whole pool, as :class:`InfiniteTwoDomainSampler`), so that the
supervised target loss and MADAv2's copy-paste between labelled images of a
batch have labelled images to work on.

The labelled images are read from the label store on disk (its manifest),
again after every pass over them; while there are none, every target comes
from the pool. The draws are seeded and identical on every rank (each rank
takes every ``world_size``-th pair). A store that does not change during
the run (stage 2 of MADAv2, which reads stage 1's) makes the stream exactly
reproducible, also on ``--resume``.
"""
import itertools
from typing import Iterator, List, Optional, Tuple

import torch

from mmada.registry import DATA_SAMPLERS
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset, _shuffled_stream


@DATA_SAMPLERS.register_module()
class LabelledTargetTwoDomainSampler(InfiniteTwoDomainSampler):
    """:class:`InfiniteTwoDomainSampler` whose targets are labelled images at a given rate.

    Args:
        dataset: A :class:`TwoDomainDataset` whose target is an
            :class:`~mmada.datasets.ActiveTargetDataset`.
        labelled_ratio: Probability that a pair's target is a labelled image.
        shuffle: Shuffle each stream.
        seed: Random seed, synchronised across ranks when ``None``.
    """

    def __init__(self, dataset: TwoDomainDataset, labelled_ratio: float = 0.5,
                 shuffle: bool = True, seed: Optional[int] = None) -> None:
        super().__init__(dataset, shuffle, seed)
        if not 0 <= labelled_ratio <= 1:
            raise ValueError(f'labelled_ratio must be in [0, 1], got {labelled_ratio}')
        if not hasattr(dataset.target, 'label_store_dir'):
            raise TypeError('LabelledTargetTwoDomainSampler needs an ActiveTargetDataset target, '
                            f'got {type(dataset.target).__name__}')
        self.labelled_ratio = float(labelled_ratio)

    def labelled_indices(self) -> List[int]:
        """Target indices of the images with labelled pixels (from the store on disk)."""
        from mmada.active.label_store import LabelStore
        root = self.dataset.target.label_store_dir
        if not root or not LabelStore.exists(root):
            return []
        keys = set(LabelStore(root).keys_with_labels())
        return [i for i, k in enumerate(self.dataset.target.keys()) if k in keys]

    def _pairs(self) -> Iterator[Tuple[int, int]]:
        src = _shuffled_stream(len(self.dataset.source), self.seed, self.shuffle)
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        g = torch.Generator().manual_seed(self.seed + 2)
        labelled: List[int] = []
        for s in src:
            if float(torch.rand((), generator=g)) < self.labelled_ratio:
                if not labelled:
                    found = self.labelled_indices()
                    order = torch.randperm(len(found), generator=g).tolist() if self.shuffle \
                        else range(len(found))
                    labelled = [found[i] for i in order]
                if labelled:
                    yield s, labelled.pop(0)
                    continue
            yield s, next(tgt)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        yield from itertools.islice(self._pairs(), self.rank, None, self.world_size)
