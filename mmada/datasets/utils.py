"""Label spaces and checked datasets of the real benchmarks (one import path).

The contents live in two modules along their seam; this module re-exports
both so that ``from mmada.datasets.utils import ...`` keeps working:

* :mod:`mmada.datasets.label_spaces`: class tables (Cityscapes' 19 train ids,
  SYNTHIA's 16 classes), id tables and id conversion, class statistics.
* :mod:`mmada.datasets.checked`: :class:`DatasetNotFoundError`,
  :class:`CheckedSegDataset` and the file helpers of datasets and converters.
"""
from .checked import (DOCS_PAGE, CheckedSegDataset, DatasetNotFoundError,
                      find_size_mismatches, image_size, load_json, relpath_or_abs)
from .label_spaces import (CITYSCAPES_CLASSES, CITYSCAPES_ID_TO_TRAINID,
                           CITYSCAPES_METAINFO, IGNORE_INDEX, SYNTHIA_13_CLASSES,
                           SYNTHIA_16_CLASSES, SYNTHIA_ID_TO_TRAINID, class_pixel_counts,
                           id_lut, to_train_ids)

__all__ = [
    'DOCS_PAGE', 'IGNORE_INDEX', 'CITYSCAPES_METAINFO', 'CITYSCAPES_CLASSES',
    'CITYSCAPES_ID_TO_TRAINID', 'SYNTHIA_ID_TO_TRAINID', 'SYNTHIA_16_CLASSES',
    'SYNTHIA_13_CLASSES', 'DatasetNotFoundError', 'CheckedSegDataset', 'id_lut',
    'to_train_ids', 'class_pixel_counts', 'image_size', 'find_size_mismatches',
    'load_json', 'relpath_or_abs'
]
