"""Cityscapes (Cordts et al. 2016): 2,975 train / 500 val images, 19 classes.

Official layout (``leftImg8bit_trainvaltest.zip`` and
``gtFine_trainvaltest.zip`` unpacked into one folder)::

    data/cityscapes/
    ├── leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png      2048x1024
    └── gtFine/{train,val}/<city>/<name>_gtFine_labelIds.png       label ids

``tools/dataset_converters/cityscapes.py`` adds
``gtFine/<split>/<city>/<name>_gtFine_labelTrainIds.png`` (19 train ids,
255 = ignore); this dataset reads those, exactly as mmseg's
``CityscapesDataset`` does, but checks the data first: a missing folder, an
empty image folder or labels not converted yet raise
:class:`~mmada.datasets.checked.DatasetNotFoundError` naming the path and
``docs/datasets.md#cityscapes`` while the dataset is built, before training.
"""
from mmseg.datasets import CityscapesDataset

from mmada.registry import DATASETS
from .checked import CheckedSegDataset
from .label_spaces import CITYSCAPES_METAINFO


@DATASETS.register_module()
class CheckedCityscapesDataset(CheckedSegDataset, CityscapesDataset):
    """mmseg's ``CityscapesDataset`` with the missing-data check.

    Args:
        img_suffix: Suffix of the images.
        seg_map_suffix: Suffix of the converted train-id label maps.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`
            (``data_root``, ``data_prefix``, ``pipeline``, ...).
    """
    METAINFO = CITYSCAPES_METAINFO
    DATASET_NAME = 'Cityscapes'
    DOCS_ANCHOR = 'cityscapes'
    CONVERTER = 'tools/dataset_converters/cityscapes.py'

    def __init__(self,
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelTrainIds.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
