"""Label tables, label conversion and data checks of the real benchmarks.

Everything here is shared by the dataset classes (:mod:`mmada.datasets.gta5`,
``synthia``, ``synscapes``) and the converters in
``tools/dataset_converters/``, so an id table exists exactly once.

* Label spaces: every source is mapped to Cityscapes' 19 *train ids*
  (``CITYSCAPES_METAINFO``, identical to mmseg's ``CityscapesDataset``);
  ignored pixels are 255.
* ``CITYSCAPES_ID_TO_TRAINID``: Cityscapes ``labels.py`` (``id -> trainId``);
  GTA5 and Synscapes annotate with the same ids.
* ``SYNTHIA_ID_TO_TRAINID``: SYNTHIA-RAND-CITYSCAPES ids (its README) to the
  16 classes it shares with Cityscapes; terrain, truck and train -> 255.
* :class:`DatasetNotFoundError`: a missing or unconverted dataset, with a
  message that names the path looked in and the docs page to read.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset, CityscapesDataset
from PIL import Image

from mmada.utils import UserFacingError

DOCS_PAGE = 'docs/datasets.md'
IGNORE_INDEX = 255

# Cityscapes' 19 evaluation classes and palette: the label space of every
# benchmark here (taken from mmseg so that both stay identical).
CITYSCAPES_METAINFO = copy.deepcopy(CityscapesDataset.METAINFO)
CITYSCAPES_CLASSES: Tuple[str, ...] = tuple(CITYSCAPES_METAINFO['classes'])

# Cityscapes labels.py: id -> trainId. Ids not listed (and the license plate,
# id -1) are ignored. GTA5 and Synscapes label maps use these ids too.
CITYSCAPES_ID_TO_TRAINID: Dict[int, int] = {
    0: 255,  # unlabeled
    1: 255,  # ego vehicle
    2: 255,  # rectification border
    3: 255,  # out of roi
    4: 255,  # static
    5: 255,  # dynamic
    6: 255,  # ground
    7: 0,  # road
    8: 1,  # sidewalk
    9: 255,  # parking
    10: 255,  # rail track
    11: 2,  # building
    12: 3,  # wall
    13: 4,  # fence
    14: 255,  # guard rail
    15: 255,  # bridge
    16: 255,  # tunnel
    17: 5,  # pole
    18: 255,  # polegroup
    19: 6,  # traffic light
    20: 7,  # traffic sign
    21: 8,  # vegetation
    22: 9,  # terrain
    23: 10,  # sky
    24: 11,  # person
    25: 12,  # rider
    26: 13,  # car
    27: 14,  # truck
    28: 15,  # bus
    29: 255,  # caravan
    30: 255,  # trailer
    31: 16,  # train
    32: 17,  # motorcycle
    33: 18,  # bicycle
}

# SYNTHIA-RAND-CITYSCAPES README: 0 void, 1 sky, 2 building, 3 road,
# 4 sidewalk, 5 fence, 6 vegetation, 7 pole, 8 car, 9 traffic sign,
# 10 pedestrian, 11 bicycle, 12 motorcycle, 13 parking-slot, 14 road-work,
# 15 traffic light, 16 terrain, 17 rider, 18 truck, 19 bus, 20 train, 21 wall,
# 22 lanemarking. The 16 classes shared with Cityscapes keep their train id;
# terrain, truck and train (absent or near-absent in SYNTHIA) are ignored, as
# are void, parking-slot, road-work and lanemarking.
SYNTHIA_ID_TO_TRAINID: Dict[int, int] = {
    1: 10,  # sky
    2: 2,  # building
    3: 0,  # road
    4: 1,  # sidewalk
    5: 4,  # fence
    6: 8,  # vegetation
    7: 5,  # pole
    8: 13,  # car
    9: 7,  # traffic sign
    10: 11,  # pedestrian -> person
    11: 18,  # bicycle
    12: 17,  # motorcycle
    15: 6,  # traffic light
    17: 12,  # rider
    19: 15,  # bus
    21: 3,  # wall
}

# Class subsets reported on SYNTHIA -> Cityscapes: mIoU over the 16 shared
# classes and mIoU* over 13 (without wall, fence and pole).
SYNTHIA_16_CLASSES: Tuple[str, ...] = tuple(
    c for c in CITYSCAPES_CLASSES if c not in ('terrain', 'truck', 'train'))
SYNTHIA_13_CLASSES: Tuple[str, ...] = tuple(
    c for c in SYNTHIA_16_CLASSES if c not in ('wall', 'fence', 'pole'))


class DatasetNotFoundError(FileNotFoundError, UserFacingError):
    """A dataset folder is missing, incomplete or not converted.

    ``str(error)`` is a complete message for a user: what was looked for,
    where, how to convert, and the docs page. It is a
    :class:`~mmada.utils.UserFacingError`, which ``tools/train.py`` and
    ``tools/test.py`` print without a traceback, and a ``FileNotFoundError``
    for callers that catch that.

    Args:
        dataset: Human name of the dataset, e.g. ``'GTA5'``.
        where: The folder that was looked in.
        missing: What is missing there, one item per line.
        convert_cmd: Command that prepares the dataset, if any.
        anchor: Section of ``docs/datasets.md`` describing the dataset.
    """

    def __init__(self,
                 dataset: str,
                 where: str,
                 missing: Sequence[str],
                 convert_cmd: Optional[str] = None,
                 anchor: str = '') -> None:
        self.dataset = dataset
        self.where = where
        self.missing = list(missing)
        self.convert_cmd = convert_cmd
        self.docs = DOCS_PAGE + (f'#{anchor}' if anchor else '')
        lines = [f'{dataset} dataset not found or not prepared in '
                 f'"{where}" (absolute path: {osp.abspath(where)}):']
        lines += [f'  - {item}' for item in self.missing]
        if convert_cmd:
            lines.append(f'Prepare it with: {convert_cmd}')
        lines.append(f'See {self.docs} for where to download it and the '
                     'expected layout; set data_root in the config (or '
                     '--cfg-options) if it lives elsewhere.')
        super().__init__('\n'.join(lines))

    def __reduce__(self):
        # Keep the error picklable (dataloader workers, multiprocessing).
        return (type(self), (self.dataset, self.where, self.missing,
                             self.convert_cmd, self.docs.partition('#')[2]))


def id_lut(id_to_trainid: Mapping[int, int], size: int = 256) -> np.ndarray:
    """Look-up table ``lut[id] = train_id`` (255 for ids not in the table).

    Args:
        id_to_trainid: Mapping of dataset ids to train ids; negative ids
            (Cityscapes' license plate) are skipped.
        size: Number of entries; 256 for 8-bit, 65536 for 16-bit labels.

    Returns:
        np.ndarray: ``uint8`` array of length ``size``.
    """
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    for label_id, train_id in id_to_trainid.items():
        if 0 <= label_id < size:
            lut[label_id] = train_id
    return lut


def to_train_ids(label: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map a label-id map to train ids; ids beyond the table become 255.

    Args:
        label: Integer label-id map of shape (H, W).
        lut: Table from :func:`id_lut`.

    Returns:
        np.ndarray: ``uint8`` train-id map of shape (H, W).
    """
    label = np.asarray(label)
    inside = (label >= 0) & (label < len(lut))
    out = lut[np.where(inside, label, 0)]
    out[~inside] = IGNORE_INDEX
    return out


def class_pixel_counts(train_ids: np.ndarray,
                       num_classes: int = len(CITYSCAPES_CLASSES)
                       ) -> Dict[int, int]:
    """Pixels per train id, only for classes present (255 not counted).

    Args:
        train_ids: Train-id map.
        num_classes: Number of valid train ids.

    Returns:
        dict: ``{train_id: pixel_count}`` for every present class.
    """
    counts = np.bincount(train_ids.ravel(), minlength=256)[:num_classes]
    return {int(c): int(n) for c, n in enumerate(counts) if n > 0}


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image, reading only its header."""
    with Image.open(path) as img:
        return img.size


def find_size_mismatches(pairs: Iterable[Tuple[str, str]]
                         ) -> Dict[str, Dict[str, List[int]]]:
    """Image/label pairs whose sizes differ.

    Args:
        pairs: ``(image_path, label_path)`` pairs.

    Returns:
        dict: ``{image_path: dict(image=[w, h], label=[w, h])}``.
    """
    mismatches = {}
    for img_path, seg_path in pairs:
        img_wh, seg_wh = image_size(img_path), image_size(seg_path)
        if img_wh != seg_wh:
            mismatches[img_path] = dict(image=list(img_wh), label=list(seg_wh))
    return mismatches


def load_json(path: str):
    """Read a JSON file."""
    with open(path) as f:
        return json.load(f)


class CheckedSegDataset(BaseSegDataset):
    """``BaseSegDataset`` whose ``load_data_list`` checks the data first.

    A subclass names its dataset, the docs section and the converter; a
    missing root or image/label folder, an empty image folder or labels not
    yet converted to train ids raise :class:`DatasetNotFoundError` while the
    dataset is built, i.e. before training starts.
    """
    DATASET_NAME = 'dataset'
    DOCS_ANCHOR = ''
    CONVERTER = ''

    def _convert_cmd(self) -> Optional[str]:
        if not self.CONVERTER:
            return None
        return f'python {self.CONVERTER} {self.data_root or "<data_root>"}'

    def _not_found(self, missing: Sequence[str]) -> DatasetNotFoundError:
        return DatasetNotFoundError(
            self.DATASET_NAME,
            self.data_root or self.data_prefix.get('img_path', ''),
            missing,
            convert_cmd=self._convert_cmd(),
            anchor=self.DOCS_ANCHOR)

    def _check_folders(self) -> None:
        if self.data_root is not None and not osp.isdir(self.data_root):
            raise self._not_found([f'folder "{self.data_root}" does not exist'])
        missing = []
        for key in ('img_path', 'seg_map_path'):
            folder = self.data_prefix.get(key)
            if folder and not osp.isdir(folder):
                missing.append(f'folder "{folder}" ({key})')
        if missing:
            raise self._not_found(missing)

    def _check_labels(self, data_list: List[dict]) -> None:
        img_dir = self.data_prefix.get('img_path', '')
        if not data_list:
            raise self._not_found(
                [f'no "*{self.img_suffix}" images in "{img_dir}"'])
        absent = [d['seg_map_path'] for d in data_list
                  if 'seg_map_path' in d and not osp.exists(d['seg_map_path'])]
        if absent:
            raise self._not_found([
                f'{len(absent)} of {len(data_list)} train-id label maps '
                f'"*{self.seg_map_suffix}" are missing, e.g. "{absent[0]}" '
                '(labels not converted yet?)'
            ])

    def load_data_list(self) -> List[dict]:
        """List image/label pairs after checking that they exist.

        Raises:
            DatasetNotFoundError: If the data is missing or not converted.
        """
        self._check_folders()
        data_list = super().load_data_list()
        self._check_labels(data_list)
        return data_list


def relpath_or_abs(path: str, root: Optional[str]) -> str:
    """``path`` relative to ``root`` when it lies inside it, else as is."""
    if root:
        rel = osp.relpath(path, root)
        if not rel.startswith(os.pardir):
            return rel
    return path
