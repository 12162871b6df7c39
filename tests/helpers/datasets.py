"""Tiny dataset trees in the official on-disk layouts (GTA5, SYNTHIA, Synscapes,
Cityscapes), the id -> train-id tables written out by hand (independently of
``mmada.datasets.utils``) and the converters of tools/dataset_converters, run
in-process."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONVERTERS = osp.join(REPO, 'tools', 'dataset_converters')

# Cityscapes labels.py (ids 0..33) -> train id, by hand; GTA5 and Synscapes
# use the same ids. Anything else (34, 255, ...) must become 255.
CS_TRAIN_ID = [
    255, 255, 255, 255, 255, 255, 255,  # unlabeled .. ground (0-6)
    0, 1,  # road, sidewalk (7, 8)
    255, 255,  # parking, rail track (9, 10)
    2, 3, 4,  # building, wall, fence (11-13)
    255, 255, 255,  # guard rail, bridge, tunnel (14-16)
    5, 255,  # pole, polegroup (17, 18)
    6, 7, 8, 9, 10,  # light, sign, vegetation, terrain, sky (19-23)
    11, 12, 13, 14, 15,  # person, rider, car, truck, bus (24-28)
    255, 255,  # caravan, trailer (29, 30)
    16, 17, 18,  # train, motorcycle, bicycle (31-33)
]
# SYNTHIA-RAND-CITYSCAPES ids 0..22 -> train id of the 16 shared classes.
SYNTHIA_TRAIN_ID = [
    255,  # 0 void
    10,  # 1 sky
    2,  # 2 building
    0,  # 3 road
    1,  # 4 sidewalk
    4,  # 5 fence
    8,  # 6 vegetation
    5,  # 7 pole
    13,  # 8 car
    7,  # 9 traffic sign
    11,  # 10 pedestrian
    18,  # 11 bicycle
    17,  # 12 motorcycle
    255,  # 13 parking-slot
    255,  # 14 road-work
    6,  # 15 traffic light
    255,  # 16 terrain (not in the 16 classes)
    12,  # 17 rider
    255,  # 18 truck (not in the 16 classes)
    15,  # 19 bus
    255,  # 20 train (not in the 16 classes)
    3,  # 21 wall
    255,  # 22 lanemarking
]

# A palette for GTA5's paletted label PNGs (values are the ids regardless).
_PALETTE = list(np.random.RandomState(0).randint(0, 256, 256 * 3).astype(int))


def _rgb(path, w, h, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.RandomState(seed).randint(0, 256, (h, w, 3), np.uint8)
    Image.fromarray(img).save(path)


def id_strip(ids, w, h):
    """(h, w) map whose columns cycle through ``ids``."""
    ids = np.asarray(ids)
    return np.tile(ids[np.arange(w) % len(ids)], (h, 1))


def _label8(path, ids, paletted=False):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(ids.astype(np.uint8))
    if paletted:
        img = img.convert('P')
        img.putpalette(_PALETTE)
        img.putdata(ids.astype(np.uint8).ravel().tolist())
    img.save(path)


ALL_CS_IDS = list(range(34)) + [34, 255]


def make_gta5(root, n=3, w=40, h=24, mismatch=(1, )):
    """GTA5: images/00001.png + paletted labels/00001.png (Cityscapes ids).

    Images listed in ``mismatch`` (0-based) get a label 2 px narrower.
    """
    for i in range(n):
        name = f'{i + 1:05d}.png'
        _rgb(osp.join(root, 'images', name), w, h, seed=i)
        lw = w - 2 if i in mismatch else w
        ids = id_strip(np.roll(ALL_CS_IDS, i), lw, h)
        _label8(osp.join(root, 'labels', name), ids, paletted=True)
    return root


def make_synthia(root, n=2, w=46, h=20):
    """SYNTHIA: RGB/0000000.png + 16-bit GT/LABELS/0000000.png (id in R)."""
    for i in range(n):
        name = f'{i:07d}.png'
        _rgb(osp.join(root, 'RGB', name), w, h, seed=i)
        ids = id_strip(np.roll(np.arange(23), i), w, h)
        label = np.zeros((h, w, 3), np.uint16)
        label[..., 2] = ids  # OpenCV writes BGR: index 2 is the red channel
        label[..., 1] = 1000 + np.arange(w)[None] * 7  # instance ids
        label[..., 0] = 40000
        os.makedirs(osp.join(root, 'GT', 'LABELS'), exist_ok=True)
        assert cv2.imwrite(osp.join(root, 'GT', 'LABELS', name), label)
    return root


def make_synscapes(root, n=2, w=36, h=18):
    """Synscapes: img/rgb/1.png + img/class/1.png (Cityscapes ids)."""
    for i in range(1, n + 1):
        _rgb(osp.join(root, 'img', 'rgb', f'{i}.png'), w, h, seed=i)
        _label8(osp.join(root, 'img', 'class', f'{i}.png'),
                id_strip(np.roll(ALL_CS_IDS, i), w, h))
        os.makedirs(osp.join(root, 'meta'), exist_ok=True)
        with open(osp.join(root, 'meta', f'{i}.json'), 'w') as f:
            json.dump({}, f)
    return root


CITIES = dict(train=['aachen', 'bochum'], val=['frankfurt'])


def make_cityscapes(root, w=64, h=32, per_city=1):
    """Cityscapes: leftImg8bit/<split>/<city>/<city>_000000_0000NN_* files."""
    for split, cities in CITIES.items():
        for c, city in enumerate(cities):
            for k in range(per_city):
                stem = f'{city}_{k:06d}_{19 + k:06d}'
                _rgb(osp.join(root, 'leftImg8bit', split, city,
                              f'{stem}_leftImg8bit.png'), w, h, seed=c + k)
                gt = osp.join(root, 'gtFine', split, city, stem)
                _label8(gt + '_gtFine_labelIds.png',
                        id_strip(np.roll(ALL_CS_IDS, c + k), w, h))
                _rgb(gt + '_gtFine_color.png', w, h)  # not a label-id map
    return root


def expected(table, ids):
    lut = np.full(65536, 255, np.uint8)
    lut[:len(table)] = table
    return lut[np.asarray(ids)]


def run_converter(name, *args):
    """Run a converter in-process (fast); returns its exit code."""
    import importlib.util
    if CONVERTERS not in sys.path:  # the converters import label_conversion
        sys.path.insert(0, CONVERTERS)
    module_name = f'_converter_{name}'
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            module_name, osp.join(CONVERTERS, f'{name}.py'))
        sys.modules[module_name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[module_name])
    return sys.modules[module_name].main([str(a) for a in args])


def run_cli(name, *args):
    return subprocess.run(
        [sys.executable, osp.join(CONVERTERS, f'{name}.py')] +
        [str(a) for a in args],
        capture_output=True, text=True, cwd=REPO, timeout=120)


def read(path):
    return np.array(Image.open(path))


def converted(name, builder, root, **kwargs):
    """Build a tree with ``builder`` under ``root`` and run converter ``name`` on it."""
    builder(root, **kwargs)
    assert run_converter(name, root) == 0
    return str(root)
