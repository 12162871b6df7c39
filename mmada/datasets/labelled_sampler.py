"""A two-domain sampler that over-draws the labelled target images.

With whole-image acquisition (MADA / MADAv2: 5 % of the images), a target
stream drawn uniformly from the pool shows a labelled image in one pair of
twenty; the authors' code gives the labelled images their own loader
instead. :class:`LabelledTargetTwoDomainSampler` draws the target of each
pair from the labelled images with probability ``labelled_ratio`` (else from
the whole pool, as :class:`InfiniteTwoDomainSampler`), e.g. 1.0 for MADAv2's
stage 1 (CE on the source and the active images only, Eq. 6); or, with
``labelled_per_batch=k`` and ``batch_size=B``, the first ``k`` targets of
every batch of ``B`` pairs on every rank are labelled images and the others
come from the pool: MADAv2's stage 2, whose target CE, OHEM and copy-paste
(which needs two labelled images) run in every step, as with the authors'
own loader of labelled images, while the pool images feed the teacher. (A
rate of 0.5 with 2 targets per batch gives ACP its two labelled images in a
quarter of the steps and no labelled image at all in another quarter.)

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
            (1.0: only labelled images once there are some); 0.5 unless
            ``labelled_per_batch`` is given.
        shuffle: Shuffle each stream.
        seed: Random seed, synchronised across ranks when ``None``.
        labelled_per_batch: Labelled targets in every batch (instead of a
            rate); needs ``batch_size``.
        batch_size: The train dataloader's ``batch_size`` (pairs per batch
            and rank), with ``labelled_per_batch``.
    """

    def __init__(self, dataset: TwoDomainDataset, labelled_ratio: Optional[float] = None,
                 shuffle: bool = True, seed: Optional[int] = None,
                 labelled_per_batch: Optional[int] = None,
                 batch_size: Optional[int] = None) -> None:
        super().__init__(dataset, shuffle, seed)
        if labelled_per_batch is not None:
            if labelled_ratio is not None:
                raise ValueError('LabelledTargetTwoDomainSampler: give labelled_ratio or '
                                 'labelled_per_batch, not both')
            if batch_size is None or not 1 <= int(labelled_per_batch) <= int(batch_size):
                raise ValueError(
                    'LabelledTargetTwoDomainSampler: labelled_per_batch needs batch_size (the '
                    'train dataloader\'s) with 1 <= labelled_per_batch <= batch_size, got '
                    f'labelled_per_batch={labelled_per_batch}, batch_size={batch_size}')
        labelled_ratio = 0.5 if labelled_ratio is None else labelled_ratio
        if not 0 <= labelled_ratio <= 1:
            raise ValueError(f'labelled_ratio must be in [0, 1], got {labelled_ratio}')
        self.labelled_per_batch = None if labelled_per_batch is None else int(labelled_per_batch)
        self.batch_size = None if batch_size is None else int(batch_size)
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

    def _wants_labelled(self, position: int, generator: torch.Generator) -> bool:
        """Whether the pair at ``position`` of the common stream takes a labelled target.

        With ``labelled_per_batch``: the rank's batches are runs of
        ``batch_size`` of its pairs, rank ``r`` taking positions ``r, r + W,
        ...``, so the pair is slot ``(position // W) % batch_size`` of its
        batch; the first ``labelled_per_batch`` slots are labelled.
        """
        if self.labelled_per_batch is None:
            return float(torch.rand((), generator=generator)) < self.labelled_ratio
        return (position // self.world_size) % self.batch_size < self.labelled_per_batch

    def _pairs(self) -> Iterator[Tuple[int, int]]:
        src = _shuffled_stream(len(self.dataset.source), self.seed, self.shuffle)
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        g = torch.Generator().manual_seed(self.seed + 2)
        changes = self._rounds_by_position()
        in_force, labelled = 0, []
        for n, s in enumerate(src):
            if n in changes:  # a new round: a new pass over its labelled images
                in_force, labelled = changes[n], []
            if self._wants_labelled(n, g):
                if not labelled:
                    found = self.labelled_indices(in_force)
                    order = torch.randperm(len(found), generator=g).tolist() if self.shuffle \
                        else range(len(found))
                    labelled = [found[i] for i in order]
                if labelled:
                    yield s, labelled.pop(0)
                    continue
            yield s, next(tgt)
