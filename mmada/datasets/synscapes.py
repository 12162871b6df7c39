"""Synscapes (Wrenninge & Unger 2018): 25,000 frames, Cityscapes' 19 classes.

Official layout (``Synscapes.tar`` unpacked)::

    data/synscapes/
    ├── img/rgb/1.png ... 25000.png        1440x720 RGB
    ├── img/class/1.png ...                Cityscapes label *ids* (8-bit PNG)
    └── meta/1.json ...                    (not used)

``tools/dataset_converters/synscapes.py`` adds
``img/class/1_labelTrainIds.png`` (Cityscapes train ids, 255 = ignore) and
``sample_class_stats.json``; this dataset reads the train-id maps.
"""
from mmada.registry import DATASETS
from .checked import CheckedSegDataset
from .label_spaces import CITYSCAPES_METAINFO


@DATASETS.register_module()
class SynscapesDataset(CheckedSegDataset):
    """Synscapes with Cityscapes' 19 train ids.

    Args:
        img_suffix: Suffix of the images.
        seg_map_suffix: Suffix of the converted train-id label maps.
        data_prefix: Image and label folders under ``data_root``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = CITYSCAPES_METAINFO
    DATASET_NAME = 'Synscapes'
    DOCS_ANCHOR = 'synscapes'
    CONVERTER = 'tools/dataset_converters/synscapes.py'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(
                     img_path='img/rgb', seg_map_path='img/class'),
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)
