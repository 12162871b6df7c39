"""A two-domain sampler that over-draws the labelled target images.

With whole-image acquisition (MADA / MADAv2: 5 % of the images), a target
stream drawn uniformly from the pool shows a labelled image in one pair of
twenty; the authors' code gives the labelled images their own loader
instead. :class:`LabelledTargetTwoDomainSampler` draws the target of each
pair from the labelled images with probability ``labelled_ratio`` (else from
the whole pool, as :class:`InfiniteTwoDomainSampler`): 1.0 for MADAv2's
stage 1 (CE on the source and the active images only, Eq. 6), 0.5 for its
stage 2, whose target CE, OHEM and copy-paste need labelled images in every
batch while the unlabelled ones feed the teacher.

The labelled images are read from the label store on disk (its manifest),
again after every pass over them; while there are none, every target comes
from the pool. The stream is a pure function of the seed and of
``label_rounds``: from which position of the common stream on the labels of
which committed round are in force. By default that is the store's round
when the sampler is built, from the first pair on (a store that does not
change during the run, as stage 2 reading stage 1's). When a round commits
during training, :class:`~mmada.engine.ActiveIterBasedTrainLoop` adds an
entry at the position it has consumed, sets ``start`` there and rebuilds its
dataloader iterator, so no pair drawn ahead (prefetched) from the old labels
is trained on; the entries are in every checkpoint (the acquisition hook's),
so ``--resume`` replays the same pairs: the labelled images of an older
round are read back from the store (:meth:`LabelStore.keys_with_labels`
with ``upto_round``). The draws are seeded and identical on every rank (each
rank takes every ``world_size``-th pair).
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch

from mmada.registry import DATA_SAMPLERS
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset, _shuffled_stream


@DATA_SAMPLERS.register_module()
class LabelledTargetTwoDomainSampler(InfiniteTwoDomainSampler):
    """:class:`InfiniteTwoDomainSampler` whose targets are labelled images at a given rate.

    Args:
        dataset: A :class:`TwoDomainDataset` whose target is an
            :class:`~mmada.datasets.ActiveTargetDataset`.
        labelled_ratio: Probability that a pair's target is a labelled image
            (1.0: only labelled images once there are some).
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
        self.label_rounds: List[Tuple[int, int]] = [(0, self.store_round())]

    def _store(self):
        from mmada.active.label_store import LabelStore
        root = self.dataset.target.label_store_dir
        return LabelStore(root) if root and LabelStore.exists(root) else None

    def store_round(self) -> int:
        """The label store's committed round on disk (0 without a store)."""
        store = self._store()
        return 0 if store is None else store.current_round

    def labelled_indices(self, upto_round: Optional[int] = None) -> List[int]:
        """Target indices of the images with labelled pixels (from the store on disk).

        Args:
            upto_round: The store as it was after this round; ``None``: now.

        Returns:
            list[int]: Dataset indices, in dataset order.
        """
        store = self._store()
        if store is None:
            return []
        keys = set(store.keys_with_labels(upto_round))
        return [i for i, k in enumerate(self.dataset.target.keys()) if k in keys]

    def set_label_rounds(self, label_rounds: Sequence[Sequence[int]]) -> None:
        """Say from which stream position on the labels of which round are in force.

        Args:
            label_rounds: ``(position, round)`` pairs, positions increasing
                (in pairs of the common stream, all ranks together).
        """
        entries = [(int(p), int(r)) for p, r in label_rounds]
        if not entries or any(p < 0 or r < 0 for p, r in entries) or \
                [p for p, _ in entries] != sorted(p for p, _ in entries):
            raise ValueError('label_rounds must be (position, round) pairs with increasing '
                             f'positions >= 0, got {entries}')
        self.label_rounds = entries

    def _rounds_by_position(self) -> Dict[int, int]:
        out: Dict[int, int] = {}
        for position, round_index in self.label_rounds:
            out[position] = round_index  # the last entry at a position wins
        return out

    def _pairs(self) -> Iterator[Tuple[int, int]]:
        src = _shuffled_stream(len(self.dataset.source), self.seed, self.shuffle)
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        g = torch.Generator().manual_seed(self.seed + 2)
        changes = self._rounds_by_position()
        in_force, labelled = 0, []
        for n, s in enumerate(src):
            if n in changes:  # a new round: a new pass over its labelled images
                in_force, labelled = changes[n], []
            if float(torch.rand((), generator=g)) < self.labelled_ratio:
                if not labelled:
                    found = self.labelled_indices(in_force)
                    order = torch.randperm(len(found), generator=g).tolist() if self.shuffle \
                        else range(len(found))
                    labelled = [found[i] for i in order]
                if labelled:
                    yield s, labelled.pop(0)
                    continue
            yield s, next(tgt)
