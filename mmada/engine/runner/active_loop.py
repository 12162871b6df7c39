"""Iteration-based training loop that places the active label store."""
import os.path as osp
from typing import Any, Union

from mmengine.runner import IterBasedTrainLoop
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


@LOOPS.register_module()
class ActiveIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` whose active target dataset knows its store.

    Dataloader workers are forked when the loop is built, before any hook
    runs, so the store location must be part of the dataset config: this loop
    sets ``label_store_dir=<work_dir>/active_labels`` on every
    :class:`~mmada.datasets.ActiveTargetDataset` config that leaves it
    ``None``, then behaves exactly like ``IterBasedTrainLoop``.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, dict], *args,
                 **kwargs) -> None:
        if isinstance(dataloader, dict):
            set_label_store_dir(dataloader, osp.join(runner.work_dir, STORE_DIRNAME))
        super().__init__(runner, dataloader, *args, **kwargs)
