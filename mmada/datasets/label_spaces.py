"""Label spaces of the real benchmarks: class tables and id conversion.

Shared by the dataset classes (:mod:`mmada.datasets.gta5`, ``synthia``,
``synscapes``) and the converters in ``tools/dataset_converters/``, so an id
table exists exactly once.

* Every source is mapped to Cityscapes' 19 *train ids*
  (``CITYSCAPES_METAINFO``, identical to mmseg's ``CityscapesDataset``);
  ignored pixels are 255.
* ``CITYSCAPES_ID_TO_TRAINID``: Cityscapes ``labels.py`` (``id -> trainId``);
  GTA5 and Synscapes annotate with the same ids.
* ``SYNTHIA_ID_TO_TRAINID``: SYNTHIA-RAND-CITYSCAPES ids (its README) to the
  16 classes it shares with Cityscapes; terrain, truck and train -> 255.
* :func:`id_lut`, :func:`to_train_ids`, :func:`class_pixel_counts`: the
  conversion and the per-class statistics the converters write.
"""
import copy
from typing import Dict, Mapping, Tuple

import numpy as np
from mmseg.datasets import CityscapesDataset

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
