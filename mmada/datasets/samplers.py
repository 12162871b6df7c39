"""Rare-class source sampling, as in the RIPU authors' code.

The RIPU authors (BIT-DA/RIPU, ``core/datasets/gtav.py`` and ``synthia.py``)
do not draw source images uniformly. In blocks of 3,000 draws they keep the
number of drawn images that contain each class, ``n_c``, turn it into a
frequency ``f_c = n_c / sum(n)`` (0 before the first draw), and draw

1. a class ``c`` with probability ``w_c ∝ 1 / log(1.01 + f_c)``
   (:func:`rare_class_weights`), then
2. the next image of a shuffled list of the images that contain ``c``,

after which every class of that image counts one more. Classes that were
drawn rarely so far get the largest weight, so images with rare classes
come up far more often than in a uniform pass.

Which classes an image contains is read from the ``sample_class_stats.json``
that the dataset converters write (``{label file: {train id: pixels}}``).

* :class:`RareClassStream`: the endless index stream (pure, seeded).
* :class:`RareClassSampler`: a single-dataset sampler (source-only training).
* :class:`RareClassTwoDomainSampler`: :class:`InfiniteTwoDomainSampler` whose
  source stream is rare-class; the target stream stays shuffled.
"""
import itertools
import json
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmada.registry import DATA_SAMPLERS
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset, _shuffled_stream
from .checked import DatasetNotFoundError
from .label_spaces import IGNORE_INDEX

STATS_FILE = 'sample_class_stats.json'


def rare_class_weights(counts: Sequence[float], eps: float = 0.01) -> np.ndarray:
    """Class probabilities ``w_c ∝ 1 / log(1 + eps + f_c)``, ``f = counts / sum``.

    The class-drawing step of the RIPU authors' source sampling; with all
    counts 0 the frequencies are 0 and the weights uniform.

    Args:
        counts: (C,) non-negative counts (images drawn so far per class).
        eps: Offset inside the log (the authors': 0.01).

    Returns:
        np.ndarray: (C,) float64 probabilities summing to 1.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError(f'counts must be a 1-d array of non-negative values, got {counts}')
    if eps <= 0:
        raise ValueError(f'eps must be > 0, got {eps}')
    total = counts.sum()
    freq = counts / total if total > 0 else counts
    weights = 1. / np.log(1. + eps + freq)
    return weights / weights.sum()


class RareClassStream:
    """Endless stream of image indices drawn by rare classes (see module doc).

    Args:
        image_classes: For every image, the classes it contains.
        num_classes: Number of classes C.
        seed: Random seed.
        block: Draws per block, after which the counts restart (3,000).
        eps: Offset of :func:`rare_class_weights`.
    """

    def __init__(self, image_classes: Sequence[Sequence[int]], num_classes: int,
                 seed: int = 0, block: int = 3000, eps: float = 0.01) -> None:
        if block < 1:
            raise ValueError(f'block must be >= 1, got {block}')
        self.image_classes = [sorted({int(c) for c in cs if 0 <= int(c) < num_classes})
                              for cs in image_classes]
        self.num_classes = int(num_classes)
        self.images_of = [[i for i, cs in enumerate(self.image_classes) if c in cs]
                          for c in range(self.num_classes)]
        # Classes no image contains are never drawn.
        self.present = np.array([bool(imgs) for imgs in self.images_of])
        if not self.present.any():
            raise ValueError('RareClassStream: no image contains any class')
        self.seed, self.block, self.eps = int(seed), int(block), float(eps)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)
        lists = [list(rng.permutation(imgs)) for imgs in self.images_of]
        cursor = [0] * self.num_classes
        present = np.flatnonzero(self.present)
        while True:
            counts = np.zeros(self.num_classes)
            for _ in range(self.block):
                weights = rare_class_weights(counts[present], self.eps)
                c = int(present[rng.choice(len(present), p=weights)])
                if cursor[c] == len(lists[c]):
                    lists[c] = list(rng.permutation(self.images_of[c]))
                    cursor[c] = 0
                idx = int(lists[c][cursor[c]])
                cursor[c] += 1
                counts[self.image_classes[idx]] += 1
                yield idx


def image_classes_of(dataset, stats_file: Optional[str] = None) -> List[List[int]]:
    """Classes of every image of a segmentation dataset, from the converters' stats.

    Train ids are mapped by the dataset's ``label_map`` (e.g. 19 -> 16
    classes), ids mapped to 255 dropped.

    Args:
        dataset: An mmseg dataset (``seg_map_path`` in its data infos).
        stats_file: ``sample_class_stats.json``; default: in ``data_root``.

    Returns:
        list[list[int]]: Classes per dataset index.

    Raises:
        DatasetNotFoundError: If the stats file is missing or lacks an image.
    """
    root = dataset.data_root or ''
    path = stats_file or osp.join(root, STATS_FILE)
    name = type(dataset).__name__
    if not osp.isfile(path):
        raise DatasetNotFoundError(
            name, root, [f'class statistics "{path}" (written by the dataset converter; '
                         'needed by the rare-class sampler)'],
            convert_cmd=getattr(dataset, '_convert_cmd', lambda: None)())
    with open(path) as f:
        stats: Dict[str, Dict[str, int]] = json.load(f)
    label_map = dataset.metainfo.get('label_map') or {}
    classes, missing = [], []
    for i in range(len(dataset)):
        seg = dataset.get_data_info(i)['seg_map_path']
        key = osp.relpath(seg, root) if root else seg
        if key not in stats:
            missing.append(key)
            continue
        ids = [label_map.get(int(c), int(c)) for c, n in stats[key].items() if n > 0]
        classes.append([c for c in ids if c != IGNORE_INDEX])
    if missing:
        raise DatasetNotFoundError(
            name, root, [f'{len(missing)} of {len(dataset)} label maps are not in "{path}", '
                         f'e.g. "{missing[0]}" (re-run the converter)'])
    return classes


def _stream_for(dataset, seed: int, stats_file: Optional[str], block: int,
                eps: float) -> RareClassStream:
    return RareClassStream(image_classes_of(dataset, stats_file),
                           len(dataset.metainfo['classes']), seed, block, eps)


@DATA_SAMPLERS.register_module()
class RareClassSampler(Sampler):
    """Endless sampler of one dataset by rare classes (see module doc).

    Like MMEngine's ``InfiniteSampler`` every rank builds the same stream
    and takes every ``world_size``-th index.

    Args:
        dataset: An mmseg dataset whose converter wrote the class stats.
        seed: Random seed, synchronised across ranks when ``None``.
        stats_file: ``sample_class_stats.json``; default: in ``data_root``.
        block: Draws per block (the authors': 3,000).
        eps: Offset inside the log (the authors': 0.01).
    """

    def __init__(self, dataset, seed: Optional[int] = None, stats_file: Optional[str] = None,
                 block: int = 3000, eps: float = 0.01) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.seed = sync_random_seed() if seed is None else seed
        self.stream = _stream_for(dataset, self.seed, stats_file, block, eps)

    def __iter__(self) -> Iterator[int]:
        yield from itertools.islice(iter(self.stream), self.rank, None, self.world_size)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is endless."""


@DATA_SAMPLERS.register_module()
class RareClassTwoDomainSampler(InfiniteTwoDomainSampler):
    """:class:`InfiniteTwoDomainSampler` with rare-class source sampling.

    Source indices come from :class:`RareClassStream` (seed ``seed``), target
    indices from a shuffled stream (seed ``seed + 1``), as the RIPU authors
    sample GTA5 / SYNTHIA by rare classes and Cityscapes uniformly.

    Args:
        dataset: A :class:`TwoDomainDataset` whose source converter wrote
            the class stats.
        shuffle: Shuffle the target stream.
        seed: Random seed, synchronised across ranks when ``None``.
        stats_file: The source's ``sample_class_stats.json``; default: in its
            ``data_root``.
        block: Draws per block (the authors': 3,000).
        eps: Offset inside the log (the authors': 0.01).
    """

    def __init__(self, dataset: TwoDomainDataset, shuffle: bool = True,
                 seed: Optional[int] = None, stats_file: Optional[str] = None,
                 block: int = 3000, eps: float = 0.01) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        self.source_stream = _stream_for(dataset.source, self.seed, stats_file, block, eps)

    def _pairs(self) -> Iterator[tuple]:
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        return zip(iter(self.source_stream), tgt)
