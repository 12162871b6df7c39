"""Loading transform for the labels acquired so far."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmada.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadActiveLabels(BaseTransform):
    """Put the acquired labels of an image into ``gt_seg_map``.

    Replaces ``LoadAnnotations`` in the training pipeline of an
    :class:`~mmada.datasets.ActiveTargetDataset`: pixels that have not been
    acquired are 255 (ignored by the loss), so nothing else in mmseg changes.
    The label store is read from disk on every call (one small file per
    image), so dataloader workers always see the latest committed round.

    Required keys: ``img_shape`` (from ``LoadImageFromFile``), ``active_key``,
    ``active_store``, ``active_num_classes`` (set by the dataset).
    Added keys: ``gt_seg_map``, ``seg_fields``, ``reduce_zero_label``.

    Args:
        with_pseudo: Fill unlabelled pixels with the store's pseudo labels
            where it has them (for methods that train on pseudo labels).
    """

    def __init__(self, with_pseudo: bool = False) -> None:
        self.with_pseudo = with_pseudo
        self._stores = {}

    def _store(self, root: str, num_classes: int):
        from mmada.active.label_store import LabelStore
        if root not in self._stores:
            self._stores[root] = LabelStore(root, num_classes=num_classes)
        return self._stores[root]

    def transform(self, results: dict) -> dict:
        shape = tuple(results['ori_shape'][:2])
        store = self._store(results['active_store'], results['active_num_classes'])
        state = store.read(results['active_key'], shape)
        labels = state.labels.copy()
        if self.with_pseudo and state.pseudo is not None:
            unlabelled = labels == store.ignore_index
            labels[unlabelled] = state.pseudo[unlabelled]
        results['gt_seg_map'] = labels.astype(np.uint8)
        results['seg_fields'] = results.get('seg_fields', []) + ['gt_seg_map']
        results['reduce_zero_label'] = False
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(with_pseudo={self.with_pseudo})'
