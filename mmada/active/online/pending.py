"""Labels acquired online since the last commit to the label store."""
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmada.active.label_store import RoundUpdate


class PendingLabels:
    """Per image, the original-resolution pixels labelled since the last commit.

    Identical on every rank (each iteration's acquisitions are gathered), so
    every rank knows which pixels are taken before they reach the store.
    """

    def __init__(self) -> None:
        self._items: Dict[str, dict] = {}

    def __len__(self) -> int:
        """Number of pending pixels."""
        return sum(len(v['pixels']) for v in self._items.values())

    def keys(self) -> List[str]:
        """Images with pending pixels, sorted."""
        return sorted(self._items)

    def add(self, key: str, shape: Tuple[int, int], pixels: np.ndarray,
            labels: np.ndarray) -> None:
        """Append pixels (flat indices at ``shape``) and their labels."""
        if not len(pixels):
            return
        item = self._items.setdefault(key, dict(shape=tuple(shape), pixels=np.zeros(0, np.int64),
                                                labels=np.zeros(0, np.uint8)))
        if item['shape'] != tuple(shape):
            raise ValueError(f'image {key!r}: shape {tuple(shape)} differs from the pending '
                             f'shape {item["shape"]}')
        item['pixels'] = np.concatenate([item['pixels'], np.asarray(pixels, np.int64)])
        item['labels'] = np.concatenate([item['labels'], np.asarray(labels, np.uint8)])

    def get(self, key: str) -> Tuple[np.ndarray, np.ndarray]:
        """Pending (pixels, labels) of one image (empty arrays if none)."""
        item: Optional[dict] = self._items.get(key)
        if item is None:
            return np.zeros(0, np.int64), np.zeros(0, np.uint8)
        return item['pixels'], item['labels']

    def updates(self) -> Dict[str, RoundUpdate]:
        """The pending labels as one round of the label store."""
        return {k: RoundUpdate(shape=v['shape'], pixels=v['pixels'], labels=v['labels'])
                for k, v in sorted(self._items.items())}

    def clear(self) -> None:
        """Forget everything (after a commit)."""
        self._items = {}
