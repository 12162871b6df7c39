"""SYNTHIA-RAND-CITYSCAPES (Ros et al. 2016): 9,400 frames, 16 shared classes.

Official layout (``SYNTHIA_RAND_CITYSCAPES.rar`` unpacked)::

    data/synthia/
    ├── RGB/0000000.png ... 0009399.png          1280x760 RGB
    └── GT/LABELS/0000000.png ...                16-bit PNG, SYNTHIA class id in
                                                 the first channel

``tools/dataset_converters/synthia.py`` adds
``GT/LABELS/0000000_labelTrainIds.png`` in Cityscapes' 19-class train-id space
(the 16 classes SYNTHIA shares with Cityscapes; terrain, truck and train never
occur and are 255), plus ``sample_class_stats.json``. The synthia2cs configs
give it (and the Cityscapes datasets) the 16-class ``metainfo`` of
``configs/_base_/datasets/synthia_16classes.py``, so labels are loaded in
that label space; they evaluate with :class:`mmada.evaluation.SubsetIoUMetric`
(mIoU over 16 classes, mIoU* over 13).
"""
from mmada.registry import DATASETS
from .checked import CheckedSegDataset
from .label_spaces import CITYSCAPES_METAINFO


@DATASETS.register_module()
class SynthiaDataset(CheckedSegDataset):
    """SYNTHIA-RAND-CITYSCAPES with Cityscapes' 19 train ids.

    Args:
        img_suffix: Suffix of the images.
        seg_map_suffix: Suffix of the converted train-id label maps.
        data_prefix: Image and label folders under ``data_root``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = CITYSCAPES_METAINFO
    DATASET_NAME = 'SYNTHIA-RAND-CITYSCAPES'
    DOCS_ANCHOR = 'synthia'
    CONVERTER = 'tools/dataset_converters/synthia.py'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(
                     img_path='RGB', seg_map_path='GT/LABELS'),
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)
