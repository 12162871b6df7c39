"""IoU metric that also reports means over class subsets.

SYNTHIA -> Cityscapes papers report mIoU over the 16 classes SYNTHIA shares
with Cityscapes (the synthia2cs configs' label space) and
mIoU* over 13 of them (without wall, fence and pole).
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from prettytable import PrettyTable

from mmada.registry import METRICS

ClassSubset = Sequence[Union[int, str]]


@METRICS.register_module()
class SubsetIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` plus mIoU over class subsets.

    The parent logs the per-class table and returns ``aAcc``, ``mIoU`` (all
    classes) and ``mAcc``; each subset adds one key, the mean IoU over its
    classes (classes absent from both prediction and ground truth, i.e. NaN,
    are left out of the mean as in ``mIoU``).

    Example::

        val_evaluator = dict(
            type='SubsetIoUMetric',
            class_subsets=dict(mIoU16=[...16 class names...],
                               mIoU13=[...13 class names...]))

    Args:
        class_subsets: ``{metric_name: classes}``; classes are names from the
            dataset's ``classes`` or indices into them.
        **kwargs: Arguments of :class:`mmseg.evaluation.IoUMetric`; its
            ``iou_metrics`` must contain ``'mIoU'``.
    """

    def __init__(self,
                 class_subsets: Optional[Mapping[str, ClassSubset]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if 'mIoU' not in self.metrics:
            raise ValueError("SubsetIoUMetric needs 'mIoU' in iou_metrics")
        self.class_subsets = {
            k: list(v) for k, v in (class_subsets or {}).items()}

    def subset_indices(self, classes: Sequence[str]) -> Dict[str, List[int]]:
        """Resolve each subset to class indices.

        Args:
            classes: The dataset's class names.

        Returns:
            dict: ``{metric_name: [class_index, ...]}``.
        """
        resolved = {}
        for name, subset in self.class_subsets.items():
            indices = []
            for c in subset:
                if isinstance(c, str):
                    if c not in classes:
                        raise KeyError(f'{name}: class {c!r} is not one of '
                                       f'the dataset classes {list(classes)}')
                    indices.append(list(classes).index(c))
                elif 0 <= int(c) < len(classes):
                    indices.append(int(c))
                else:
                    raise IndexError(f'{name}: class index {c} out of range '
                                     f'for {len(classes)} classes')
            resolved[name] = indices
        return resolved

    @staticmethod
    def subset_mean(per_class: np.ndarray, indices: Sequence[int]) -> float:
        """NaN-ignoring mean of ``per_class[indices]`` in percent, 2 decimals."""
        values = np.asarray(per_class, dtype=np.float64)[list(indices)]
        if np.all(np.isnan(values)):
            return float('nan')
        return float(np.round(np.nanmean(values) * 100, 2))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Parent metrics plus one mean IoU per class subset.

        Args:
            results: Per-image ``(intersect, union, pred_area, label_area)``.

        Returns:
            dict: ``aAcc``, ``mIoU``, ``mAcc`` and one key per subset.
        """
        metrics = super().compute_metrics(results)
        if self.format_only or not self.class_subsets:
            return metrics
        totals = [sum(parts) for parts in zip(*results)]
        per_class = self.total_area_to_metrics(
            *totals, ['mIoU'], self.nan_to_num, self.beta)['IoU']
        classes = self.dataset_meta['classes']
        subsets = self.subset_indices(classes)
        table = PrettyTable(['Subset', 'Classes', 'mIoU', 'Left out'])
        for name, indices in subsets.items():
            metrics[name] = self.subset_mean(per_class, indices)
            left_out = [c for i, c in enumerate(classes) if i not in indices]
            table.add_row([name, len(indices), metrics[name],
                           ', '.join(left_out) or '-'])
        logger: MMLogger = MMLogger.get_current_instance()
        print_log('class-subset results:\n' + table.get_string(), logger)
        return OrderedDict(metrics)
