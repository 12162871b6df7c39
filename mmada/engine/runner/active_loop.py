"""Iteration-based training loop that places the active label store.

It also keeps the training data in step with the label store: when a round
commits during training (:meth:`ActiveIterBasedTrainLoop.labels_committed`),
the dataloader iterator is rebuilt at the batch the loop has reached, so

* no batch prefetched by a worker before the commit (with the old labels)
  is trained on: every batch after a round loads that round's labels from
  disk (workers never see the main process's state, only the store's files);
* a sampler that depends on the labels (``set_label_rounds``, e.g.
  :class:`~mmada.datasets.LabelledTargetTwoDomainSampler`) is told from
  which position of its stream on the new round is in force, and continues
  its stream there (``start``) instead of starting over.

The commit points are checkpointed (by the acquisition hook, see
:meth:`label_state_dict`) and the iterator is rebuilt at the same batches
while ``--resume`` replays the dataloader, so a resumed run draws the same
pairs as an uninterrupted one. Samplers without ``start`` (MMEngine's
``InfiniteSampler``) are never rebuilt: their stream would start over.
"""
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

from mmengine.dist import get_world_size
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import DataLoader

from mmada.registry import LOOPS

STORE_DIRNAME = 'active_labels'


def set_label_store_dir(cfg: Any, store_dir: str) -> int:
    """Set ``label_store_dir`` of every active dataset config in ``cfg``.

    Args:
        cfg: A (nested) dataloader or dataset config.
        store_dir: Folder of the label store.

    Returns:
        int: Number of dataset configs updated.
    """
    count = 0
    if isinstance(cfg, dict):
        if 'label_store_dir' in cfg or str(cfg.get('type', '')).endswith('ActiveTargetDataset'):
            if cfg.get('label_store_dir') is None:
                cfg['label_store_dir'] = store_dir
            count += 1
        for value in cfg.values():
            count += set_label_store_dir(value, store_dir)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            count += set_label_store_dir(value, store_dir)
    return count


class RestartingDataloaderIterator:
    """The loop's endless batch iterator, rebuilt at given batch counts.

    Args:
        dataloader: The training dataloader.
        on_restart: Called with the number of batches consumed right before
            the iterator is rebuilt (it positions the sampler).
    """

    def __init__(self, dataloader: DataLoader, on_restart) -> None:
        self.dataloader = dataloader
        self.on_restart = on_restart
        self.consumed = 0
        self.restart_at: set = set()
        self._it = _InfiniteDataloaderIterator(dataloader)

    def __iter__(self):
        return self

    def __next__(self):
        if self.consumed in self.restart_at:
            self.restart_at.discard(self.consumed)
            self.on_restart(self.consumed)
            self._it = _InfiniteDataloaderIterator(self.dataloader)
        batch = next(self._it)
        self.consumed += 1
        return batch


@LOOPS.register_module()
class ActiveIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` whose active target dataset knows its store.

    Dataloader workers are forked when the loop is built, before any hook
    runs, so the store location must be part of the dataset config: this loop
    sets ``label_store_dir=<work_dir>/active_labels`` on every
    :class:`~mmada.datasets.ActiveTargetDataset` config that leaves it
    ``None``. It then behaves like ``IterBasedTrainLoop``, except that the
    data follow the label store's rounds (see the module doc).
    """

    def __init__(self, runner, dataloader: Union[DataLoader, dict], *args,
                 **kwargs) -> None:
        if isinstance(dataloader, dict):
            set_label_store_dir(dataloader, osp.join(runner.work_dir, STORE_DIRNAME))
        super().__init__(runner, dataloader, *args, **kwargs)
        self.dataloader_iterator = RestartingDataloaderIterator(self.dataloader,
                                                                self._position_sampler)
        # [batch, round]: from that many consumed batches on, that round's labels.
        self.label_rounds: List[List[int]] = []

    @property
    def sampler(self):
        """The training sampler (``None`` if the loader has none)."""
        return getattr(self.dataloader, 'sampler', None)

    def _restartable(self) -> bool:
        return hasattr(self.sampler, 'start')

    def _pairs_per_batch(self) -> int:
        return int(self.dataloader.batch_size or 1) * get_world_size()

    def _position_sampler(self, consumed: int) -> None:
        """Set the sampler's start and label rounds before a rebuild."""
        per_batch = self._pairs_per_batch()
        if hasattr(self.sampler, 'set_label_rounds') and self.label_rounds:
            self.sampler.set_label_rounds([(b * per_batch, r) for b, r in self.label_rounds])
        self.sampler.start = consumed * per_batch

    def labels_committed(self, round_index: int, at_batch: Optional[int] = None) -> None:
        """The labels of ``round_index`` are in force from now on (or ``at_batch``).

        Args:
            round_index: The store's round now committed.
            at_batch: Number of consumed batches from which the round is in
                force; default: the batches consumed so far.
        """
        if not self._restartable():
            return
        at = self.dataloader_iterator.consumed if at_batch is None else int(at_batch)
        self.label_rounds = [e for e in self.label_rounds if e[0] < at] + [[at, int(round_index)]]
        self.dataloader_iterator.restart_at.add(at)

    def label_state_dict(self) -> dict:
        """The commit points, for checkpoints (plain python)."""
        return dict(label_rounds=[list(e) for e in self.label_rounds])

    def load_label_state_dict(self, state: dict) -> None:
        """Restore the commit points before ``--resume`` replays the dataloader.

        Args:
            state: What :meth:`label_state_dict` returned.
        """
        if not self._restartable():
            return
        entries: Sequence = state.get('label_rounds', [])
        self.label_rounds = [[int(b), int(r)] for b, r in entries]
        self.dataloader_iterator.restart_at = {b for b, _ in self.label_rounds}
