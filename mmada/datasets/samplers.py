"""Rare-class source sampling (RCS): the RIPU authors' and DAFormer's.

``strategy='ripu'`` (default): the RIPU authors (BIT-DA/RIPU, ``core/datasets/gtav.py`` and ``synthia.py``)
do not draw source images uniformly. In blocks of 3,000 draws they keep the
number of drawn images that contain each class, ``n_c``, turn it into a
frequency ``f_c = n_c / sum(n)`` (0 before the first draw), and draw

1. a class ``c`` with probability ``w_c ∝ 1 / log(1.01 + f_c)``
   (:func:`rare_class_weights`), then
2. the next image of a shuffled list of the images that contain ``c``,

after which every class of that image counts one more. Classes that were
drawn rarely so far get the largest weight, so images with rare classes
come up far more often than in a uniform pass.

``strategy='daformer'``: DAFormer (Hoyer et al., CVPR 2022, Sec. 3.2,
Eq. 6) draws a class ``c`` with probability ``softmax((1 - f_c) / T)``,
``f_c`` = the share of the source pixels of class ``c``, temperature
``T = 0.01``, then an image uniformly among those with more than
``min_pixels`` pixels of ``c`` (3,000 in the authors' code). The authors'
code also re-crops the image (up to 10 times) until the crop holds more
than ``min_crop_ratio * min_pixels`` pixels of ``c``: the sampler yields
``(source, target, c, min_crop_pixels)`` and :class:`TwoDomainDataset`
re-loads the source until it does.

Which classes an image contains is read from the ``sample_class_stats.json``
that the dataset converters write (``{label file: {train id: pixels}}``);
with ``strategy='daformer'`` a missing file is computed once from the label
maps and cached at that path, next to the dataset.

* :class:`RareClassStream`: the endless index stream (pure, seeded).
* :class:`RareClassSampler`: a single-dataset sampler (source-only training).
* :class:`RareClassTwoDomainSampler`: :class:`InfiniteTwoDomainSampler` whose
  source stream is rare-class; the target stream stays shuffled.
"""
import itertools
import json
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmada.registry import DATA_SAMPLERS
from .two_domain import InfiniteTwoDomainSampler, TwoDomainDataset, _shuffled_stream
from .checked import DatasetNotFoundError
from .label_spaces import IGNORE_INDEX
from mmada.utils.fileio import atomic_write_text

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


def _stats_path(dataset, stats_file: Optional[str]) -> str:
    return stats_file or osp.join(dataset.data_root or '', STATS_FILE)


def compute_class_stats(dataset, path: str) -> Dict[str, Dict[str, int]]:
    """Pixels per label id of every label map of ``dataset``, cached as ``path``.

    The converters' format (``{label file relative to data_root: {id:
    pixels}}``, ids as stored in the files, 255 not counted), written
    atomically so that concurrent ranks write the same file.

    Args:
        dataset: An mmseg dataset (``seg_map_path`` in its data infos).
        path: Where to write the statistics.

    Returns:
        dict: The statistics.
    """
    root = dataset.data_root or ''
    stats = {}
    for i in range(len(dataset)):
        seg = dataset.get_data_info(i)['seg_map_path']
        label = np.asarray(Image.open(seg))
        counts = np.bincount(label.ravel(), minlength=256)[:IGNORE_INDEX]
        key = osp.relpath(seg, root) if root else seg
        stats[key] = {str(c): int(n) for c, n in enumerate(counts) if n > 0}
    atomic_write_text(path, json.dumps(stats))
    return stats


def image_class_pixels(dataset, stats_file: Optional[str] = None,
                       compute_missing: bool = False) -> List[Dict[int, int]]:
    """Pixels per class of every image of a segmentation dataset, from the class stats.

    Train ids are mapped by the dataset's ``label_map`` (e.g. 19 -> 16
    classes), ids mapped to 255 dropped.

    Args:
        dataset: An mmseg dataset (``seg_map_path`` in its data infos).
        stats_file: ``sample_class_stats.json``; default: in ``data_root``.
        compute_missing: Compute and cache a missing file
            (:func:`compute_class_stats`) instead of refusing it.

    Returns:
        list[dict[int, int]]: ``{class: pixels}`` per dataset index.

    Raises:
        DatasetNotFoundError: If the stats file is missing (and not
            computed) or lacks an image.
    """
    root = dataset.data_root or ''
    path = _stats_path(dataset, stats_file)
    name = type(dataset).__name__
    if not osp.isfile(path):
        if compute_missing:
            compute_class_stats(dataset, path)
        else:
            raise DatasetNotFoundError(
                name, root, [f'class statistics "{path}" (written by the dataset converter; '
                             'needed by the rare-class sampler)'],
                convert_cmd=getattr(dataset, '_convert_cmd', lambda: None)())
    with open(path) as f:
        stats: Dict[str, Dict[str, int]] = json.load(f)
    label_map = dataset.metainfo.get('label_map') or {}
    pixels, missing = [], []
    for i in range(len(dataset)):
        seg = dataset.get_data_info(i)['seg_map_path']
        key = osp.relpath(seg, root) if root else seg
        if key not in stats:
            missing.append(key)
            continue
        image: Dict[int, int] = {}
        for c, n in stats[key].items():
            c = label_map.get(int(c), int(c))
            if c != IGNORE_INDEX and n > 0:
                image[c] = image.get(c, 0) + int(n)
        pixels.append(image)
    if missing:
        raise DatasetNotFoundError(
            name, root, [f'{len(missing)} of {len(dataset)} label maps are not in "{path}", '
                         f'e.g. "{missing[0]}" (re-run the converter)'])
    return pixels


def image_classes_of(dataset, stats_file: Optional[str] = None) -> List[List[int]]:
    """Classes of every image of a segmentation dataset, from the converters' stats.

    See :func:`image_class_pixels` (the classes with pixels, in file order).

    Returns:
        list[list[int]]: Classes per dataset index.
    """
    return [list(p) for p in image_class_pixels(dataset, stats_file)]


def daformer_class_probs(pixels: Sequence[float], temperature: float = 0.01) -> np.ndarray:
    """DAFormer Eq. 6: ``P(c) = softmax((1 - f_c) / T)``, ``f_c`` = pixel share of ``c``.

    Args:
        pixels: (C,) pixels of each class over the dataset.
        temperature: T (0.01).

    Returns:
        np.ndarray: (C,) float64 probabilities.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim != 1 or (pixels < 0).any() or pixels.sum() <= 0:
        raise ValueError(f'pixels must be non-negative with a positive sum, got {pixels}')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    logits = (1 - pixels / pixels.sum()) / temperature
    e = np.exp(logits - logits.max())
    return e / e.sum()


class DAFormerRareClassStream:
    """Endless stream of ``(image index, class)`` drawn by DAFormer's RCS (module doc).

    Classes without pixels, and classes no image has more than
    ``min_pixels`` of, are never drawn (the others' probabilities
    renormalised; the authors' code asserts there are none).

    Args:
        image_pixels: For every image, ``{class: pixels}``.
        num_classes: Number of classes C.
        temperature: T of :func:`daformer_class_probs` (0.01).
        min_pixels: Pixels of ``c`` an image needs to be drawn for ``c``.
        seed: Random seed.
    """

    def __init__(self, image_pixels: Sequence[Dict[int, int]], num_classes: int,
                 temperature: float = 0.01, min_pixels: int = 3000, seed: int = 0) -> None:
        total = np.zeros(num_classes)
        for image in image_pixels:
            for c, n in image.items():
                if 0 <= c < num_classes:
                    total[c] += n
        present = np.flatnonzero(total > 0)
        if not len(present):
            raise ValueError('DAFormerRareClassStream: no image contains any class')
        probs = dict(zip(present.tolist(), daformer_class_probs(total[present], temperature)))
        self.images_of = {c: [i for i, im in enumerate(image_pixels) if im.get(c, 0) > min_pixels]
                          for c in probs}
        self.classes = [c for c in probs if self.images_of[c]]
        if not self.classes:
            raise ValueError(f'DAFormerRareClassStream: no image has more than {min_pixels} '
                             'pixels of any class: lower min_pixels.')
        p = np.array([probs[c] for c in self.classes])
        self.probs = p / p.sum()
        self.seed = int(seed)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        rng = np.random.default_rng(self.seed)
        while True:
            c = self.classes[int(rng.choice(len(self.classes), p=self.probs))]
            images = self.images_of[c]
            yield int(images[int(rng.integers(len(images)))]), c


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

    Source indices come from the rare-class stream of ``strategy`` (seed
    ``seed``, see the module doc), target indices from a shuffled stream
    (seed ``seed + 1``), as the RIPU and DAFormer authors sample GTA5 /
    SYNTHIA by rare classes and Cityscapes uniformly. Both streams are pure
    functions of the seed: a resumed run (which replays the dataloader)
    draws what the uninterrupted one did.

    Args:
        dataset: A :class:`TwoDomainDataset` whose source converter wrote
            the class stats (``strategy='daformer'``: or that computes them).
        shuffle: Shuffle the target stream.
        seed: Random seed, synchronised across ranks when ``None``.
        stats_file: The source's ``sample_class_stats.json``; default: in its
            ``data_root``.
        block: Draws per block (``'ripu'``; the authors': 3,000).
        eps: Offset inside the log (``'ripu'``; the authors': 0.01).
        strategy: ``'ripu'`` or ``'daformer'``.
        temperature: T of DAFormer's class probabilities (0.01).
        min_pixels: Pixels of the drawn class an image needs (``'daformer'``;
            the authors': 3,000 at GTA5's full resolution).
        min_crop_ratio: The crop must hold more than ``min_crop_ratio *
            min_pixels`` pixels of the class (re-cropped up to
            ``crop_tries`` times; 0 turns it off; the authors': 0.5).
        crop_tries: Re-crops of the source at most (the authors': 10).
    """

    def __init__(self, dataset: TwoDomainDataset, shuffle: bool = True,
                 seed: Optional[int] = None, stats_file: Optional[str] = None,
                 block: int = 3000, eps: float = 0.01, strategy: str = 'ripu',
                 temperature: float = 0.01, min_pixels: int = 3000,
                 min_crop_ratio: float = 0.5, crop_tries: int = 10) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        if strategy not in ('ripu', 'daformer'):
            raise ValueError(f"RareClassTwoDomainSampler: strategy must be 'ripu' or "
                             f"'daformer', got {strategy!r}")
        self.strategy = strategy
        self.crop_pixels = int(min_crop_ratio * min_pixels)
        self.crop_tries = int(crop_tries)
        if strategy == 'ripu':
            self.source_stream = _stream_for(dataset.source, self.seed, stats_file, block, eps)
        else:
            pixels = image_class_pixels(dataset.source, stats_file, compute_missing=True)
            self.source_stream = DAFormerRareClassStream(
                pixels, len(dataset.source.metainfo['classes']), temperature, min_pixels,
                self.seed)

    def _pairs(self) -> Iterator[tuple]:
        tgt = _shuffled_stream(len(self.dataset.target), self.seed + 1, self.shuffle)
        if self.strategy == 'ripu':
            return zip(iter(self.source_stream), tgt)
        if self.crop_pixels <= 0:
            return ((i, t) for (i, _), t in zip(self.source_stream, tgt))
        return ((i, t, c, self.crop_pixels, self.crop_tries)
                for (i, c), t in zip(self.source_stream, tgt))
