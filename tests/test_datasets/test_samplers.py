"""Rare-class source sampling (the RIPU authors' GTA5 / SYNTHIA sampling)."""
import itertools
import json
import math
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmada.datasets import GTA5Dataset, TwoDomainDataset
from mmada.datasets.samplers import (RareClassSampler, RareClassStream,
                                     RareClassTwoDomainSampler, image_classes_of,
                                     rare_class_weights)
from mmada.datasets.utils import DatasetNotFoundError
from tests.conftest import ROOT
from tests.helpers.datasets import make_gta5, run_converter


def test_rare_class_weights_hand_values():
    # counts 3, 1, 0 -> f = 0.75, 0.25, 0 -> 1 / log(1.76), 1 / log(1.26), 1 / log(1.01)
    raw = [1 / math.log(1.76), 1 / math.log(1.26), 1 / math.log(1.01)]
    expected = [r / sum(raw) for r in raw]  # 0.0166, 0.0406, 0.9428
    assert rare_class_weights([3, 1, 0]) == pytest.approx(expected, rel=1e-12)
    assert rare_class_weights([0, 0]) == pytest.approx([0.5, 0.5])  # nothing drawn yet
    for bad in ([-1, 2], [[1, 2]]):
        with pytest.raises(ValueError):
            rare_class_weights(bad)


def test_stream_first_draws_by_hand():
    # Image 0 holds class 0, image 1 classes 0 and 1. First draw: uniform over
    # both classes; whichever image comes, class 0 is counted, so from the second
    # draw on class 1 weighs at least 1 / log(1.01) against 1 / log(2.01).
    stream = RareClassStream([[0], [0, 1]], num_classes=2, seed=0)
    draws = list(itertools.islice(iter(stream), 2000))
    # Class 1 always gives image 1, class 0 alternates between both images, so
    # image 1's share s = P1 + (1 - P1) / 2, and with n0 = N, n1 = s N draws
    # P1 = w1 / (w0 + w1), w = 1 / log(1.01 + f): the fixed point is s = 0.775
    # (s = 0.77: f = 0.565, 0.435, w = 2.200, 2.718, P1 = 0.553, s = 0.776),
    # where a uniform pass over the images gives 0.5.
    share = draws.count(1) / len(draws)
    assert 0.74 < share < 0.81, share
    assert draws == list(itertools.islice(iter(stream), 2000))  # seeded


def test_stream_oversamples_rare_classes():
    # Ten images of class 0 only and one with the rare class 1: uniform
    # sampling would show image 10 one time in 11.
    stream = RareClassStream([[0]] * 10 + [[0, 1]], num_classes=3, seed=1, block=300)
    draws = np.array(list(itertools.islice(iter(stream), 3000)))
    # Fixed point of s = P1 + (1 - P1) / 10 as above: s = 0.63 (uniform: 0.09).
    assert (draws == 10).mean() > 0.55
    assert set(draws) == set(range(11))  # every image still comes up
    # Class 2 is in no image and never drawn.
    assert not stream.present[2]


def _gta(tmp_path, n=4):
    root = tmp_path / 'gta5'
    make_gta5(root, n=n, w=16, h=8, mismatch=())
    assert run_converter('gta5', root) == 0
    return str(root)


def test_samplers_read_the_converter_stats(tmp_path):
    init_default_scope('mmada')
    root = _gta(tmp_path)
    ds = GTA5Dataset(data_root=root, pipeline=[])
    with open(osp.join(root, 'sample_class_stats.json')) as f:
        stats = json.load(f)
    classes = image_classes_of(ds)
    for i, cs in enumerate(classes):
        key = osp.relpath(ds.get_data_info(i)['seg_map_path'], root)
        assert cs == [int(c) for c, n in stats[key].items() if n > 0]
    one = list(itertools.islice(iter(RareClassSampler(ds, seed=3)), 40))
    assert set(one) <= set(range(len(ds)))
    pair = RareClassTwoDomainSampler(TwoDomainDataset(ds, ds), seed=3)
    pairs = list(itertools.islice(iter(pair), 40))
    assert [s for s, _ in pairs] == one  # same seed, same source stream
    # Missing stats: one clear message naming the file and the converter.
    import os
    os.remove(osp.join(root, 'sample_class_stats.json'))
    with pytest.raises(DatasetNotFoundError, match='sample_class_stats.json'):
        RareClassSampler(ds, seed=0)


def test_paper_configs_sample_the_source_by_rare_classes():
    for name in ('ripu/ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py',
                 'cbda/deeplabv3plus_r101_synthia2cs_10pct.py'):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
        assert cfg.train_dataloader.sampler.type == 'RareClassTwoDomainSampler'
