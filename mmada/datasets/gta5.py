"""GTA5 (Playing for Data, Richter et al. 2016): 24,966 frames, 19 classes.

Official layout (the ten ``XX_images.zip`` / ``XX_labels.zip`` parts unpacked
into one folder)::

    data/gta5/
    ├── images/00001.png ... 24966.png      1914x1052 RGB
    └── labels/00001.png ... 24966.png      Cityscapes label *ids* (palette PNG)

``tools/dataset_converters/gta5.py`` adds ``labels/00001_labelTrainIds.png``
(Cityscapes train ids, 255 = ignore), ``sample_class_stats.json`` and
``size_mismatch.json``; this dataset reads the train-id maps.

Size-mismatch policy: a few GTA5 label maps do not have the size of their
image. The converter writes every such pair to ``size_mismatch.json`` and by
default (``size_mismatch='skip'``) the dataset leaves them out and logs how
many it skipped, so random-scale-and-crop pipelines never meet a misaligned
pair. ``size_mismatch='keep'`` keeps them; only safe when the pipeline resizes
image and label to one fixed size (e.g. the RIPU ``Resize(1280x720,
keep_ratio=False)``), which realigns them by nearest-neighbour. Without the
list (labels converted by another tool) the dataset reads the image headers
itself, which takes a few seconds.
"""
import os.path as osp
from typing import List

from mmengine.logging import print_log

from mmada.registry import DATASETS
from .checked import CheckedSegDataset, find_size_mismatches, load_json, relpath_or_abs
from .label_spaces import CITYSCAPES_METAINFO

SIZE_MISMATCH_POLICIES = ('skip', 'keep')


@DATASETS.register_module()
class GTA5Dataset(CheckedSegDataset):
    """GTA5 with Cityscapes' 19 train ids.

    Args:
        img_suffix: Suffix of the images.
        seg_map_suffix: Suffix of the converted train-id label maps.
        data_prefix: Image and label folders under ``data_root``.
        size_mismatch: ``'skip'`` (default) drops image/label pairs of
            different sizes; ``'keep'`` keeps them (see the module docstring).
        size_mismatch_file: The converter's list of such pairs, relative to
            ``data_root``.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = CITYSCAPES_METAINFO
    DATASET_NAME = 'GTA5'
    DOCS_ANCHOR = 'gta5'
    CONVERTER = 'tools/dataset_converters/gta5.py'

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '_labelTrainIds.png',
                 data_prefix: dict = dict(
                     img_path='images', seg_map_path='labels'),
                 size_mismatch: str = 'skip',
                 size_mismatch_file: str = 'size_mismatch.json',
                 **kwargs) -> None:
        if size_mismatch not in SIZE_MISMATCH_POLICIES:
            raise ValueError(f'size_mismatch must be one of '
                             f'{SIZE_MISMATCH_POLICIES}, got {size_mismatch!r}')
        self.size_mismatch = size_mismatch
        self.size_mismatch_file = size_mismatch_file
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            **kwargs)

    def _mismatched_images(self, data_list: List[dict]) -> set:
        """Absolute image paths whose label has another size."""
        root = self.data_root or ''
        list_file = osp.join(root, self.size_mismatch_file)
        if osp.isfile(list_file):
            return {osp.abspath(osp.join(root, p)) for p in load_json(list_file)}
        print_log(
            f'GTA5: no {list_file}; checking image/label sizes of '
            f'{len(data_list)} pairs (run {self.CONVERTER} once to cache it)',
            logger='current')
        found = find_size_mismatches(
            (d['img_path'], d['seg_map_path']) for d in data_list)
        return {osp.abspath(p) for p in found}

    def load_data_list(self) -> List[dict]:
        """List pairs, applying the size-mismatch policy."""
        data_list = super().load_data_list()
        if self.size_mismatch == 'keep':
            return data_list
        mismatched = self._mismatched_images(data_list)
        kept = [d for d in data_list
                if osp.abspath(d['img_path']) not in mismatched]
        skipped = len(data_list) - len(kept)
        if skipped:
            examples = ', '.join(
                relpath_or_abs(d['img_path'], self.data_root)
                for d in data_list
                if osp.abspath(d['img_path']) in mismatched)
            print_log(
                f'GTA5: skipped {skipped} of {len(data_list)} images whose '
                f'label size differs from the image size ({examples[:200]})',
                logger='current')
        return kept
