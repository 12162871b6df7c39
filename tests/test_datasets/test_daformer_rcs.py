"""DAFormer's rare-class sampling: class probabilities, stream, cached stats, re-crops."""
import itertools
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.datasets import GTA5Dataset, TwoDomainDataset
from mmada.datasets.samplers import (DAFormerRareClassStream, RareClassTwoDomainSampler,
                                     daformer_class_probs, image_class_pixels)


def test_class_probs_are_the_softmax_of_one_minus_the_pixel_share():
    # shares 0.75 / 0.25: logits 25 and 75 at T = 0.01 -> P = 1 / (1 + e^50) and the rest
    p = daformer_class_probs([300, 100], 0.01)
    np.testing.assert_allclose(p, [1 / (1 + np.exp(50)), 1 - 1 / (1 + np.exp(50))])
    np.testing.assert_allclose(daformer_class_probs([1, 1, 2], 1.0),
                               np.exp([0.75, 0.75, 0.5]) / np.exp([0.75, 0.75, 0.5]).sum())
    with pytest.raises(ValueError, match='temperature'):
        daformer_class_probs([1, 2], 0)


def test_stream_draws_rare_classes_from_images_with_enough_pixels():
    images = [{0: 1000}, {0: 900, 1: 20}, {0: 900, 1: 5}, {2: 3}]
    stream = DAFormerRareClassStream(images, num_classes=3, temperature=0.1, min_pixels=10,
                                     seed=0)
    assert stream.classes == [0, 1]  # class 2: no image has more than 10 of its pixels
    draws = list(itertools.islice(iter(stream), 400))
    # class 1 (0.7 % of the pixels) is drawn about as often as the softmax says ...
    p1 = daformer_class_probs([2800, 25], 0.1)[1]
    share = np.mean([c == 1 for _, c in draws])
    assert abs(share - p1) < 0.06 and p1 > 0.99
    # ... always from image 1 (image 2 has only 5 of its pixels)
    assert {i for i, c in draws if c == 1} == {1}
    assert draws == list(itertools.islice(iter(stream), 400))  # pure function of the seed


def _gta_without_stats(tmp_path):
    from tests.helpers.datasets import make_gta5, run_converter
    root = tmp_path / 'gta5'
    make_gta5(root, n=4, w=16, h=8, mismatch=())
    assert run_converter('gta5', root) == 0
    with open(root / 'sample_class_stats.json') as f:
        stats = json.load(f)
    os.remove(root / 'sample_class_stats.json')
    return str(root), stats


def test_missing_stats_are_computed_once_and_cached_next_to_the_dataset(tmp_path):
    init_default_scope('mmada')
    root, converter_stats = _gta_without_stats(tmp_path)
    ds = GTA5Dataset(data_root=root, pipeline=[])
    sampler = RareClassTwoDomainSampler(TwoDomainDataset(ds, ds), seed=1, strategy='daformer',
                                        min_pixels=0, min_crop_ratio=0.)
    path = osp.join(root, 'sample_class_stats.json')
    with open(path) as f:
        assert json.load(f) == converter_stats  # what the converter would have written
    first = list(itertools.islice(iter(sampler), 20))
    assert all(len(p) == 2 for p in first)
    mtime = os.stat(path).st_mtime_ns
    again = RareClassTwoDomainSampler(TwoDomainDataset(ds, ds), seed=1, strategy='daformer',
                                      min_pixels=0, min_crop_ratio=0.)
    assert os.stat(path).st_mtime_ns == mtime  # read, not recomputed
    assert list(itertools.islice(iter(again), 20)) == first
    pixels = image_class_pixels(ds)
    assert all(sum(p.values()) <= 16 * 8 for p in pixels)
    with_crop = RareClassTwoDomainSampler(TwoDomainDataset(ds, ds), seed=1, strategy='daformer',
                                          min_pixels=2, min_crop_ratio=0.5)
    s, t, c, px, tries = next(iter(with_crop))
    assert (px, tries) == (1, 10) and pixels[s][c] > 2


class _Crops(torch.utils.data.Dataset):
    """A source whose every load is a new 'crop': labels of class 3 on k pixels, k = load count."""
    metainfo = dict(classes=('a', 'b', 'c', 'd'))

    def __init__(self):
        self.loads = 0

    def __len__(self):
        return 2

    def __getitem__(self, i):
        self.loads += 1
        lab = torch.zeros(1, 4, 4, dtype=torch.long)
        lab.view(-1)[:self.loads] = 3
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab)
        return dict(inputs=torch.zeros(3, 4, 4), data_samples=s)


def test_two_domain_dataset_recrops_until_the_class_has_enough_pixels():
    src = _Crops()
    ds = TwoDomainDataset(src, _Crops())
    out = ds[(0, 1, 3, 4, 10)]  # wants > 4 pixels of class 3: the 5th load
    assert src.loads == 5 and int((out['source']['data_samples'].gt_sem_seg.data == 3).sum()) == 5
    src.loads = 0
    ds[(0, 1, 3, 100, 10)]  # never enough: 1 load + 10 re-crops, the last one kept
    assert src.loads == 11
    src.loads = 0
    ds[(0, 1)]
    assert src.loads == 1
