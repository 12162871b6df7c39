"""Pixel-budget (PA) configs on real data keep every queried pixel.

RIPU's PA queries single pixels at Cityscapes' full 2048x1024; the target is
trained at 1280x640. A nearest-neighbour ``Resize`` keeps only the queried
pixels it happens to sample; the PA configs use ``SparseLabelResize``. The
fixture is a Cityscapes tree in the official layout at full size.
"""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from tests.helpers.datasets import make_cityscapes, REPO, run_converter

FULL = (1024, 2048)
PA = {
    'ripu_gta2cs': 'configs/ripu/ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_pa40px.py',
    'ripu_synthia2cs': 'configs/ripu/ripu_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_pa40px.py',
    'random_gta2cs': 'configs/baselines/random_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_pa40px.py',
    'entropy_gta2cs': 'configs/baselines/entropy_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_pa40px.py',
    'sconf_gta2cs': 'configs/baselines/sconf_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_pa40px.py',
}
RA = 'configs/ripu/ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py'


@pytest.fixture(scope='module')
def cityscapes(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cityscapes_full'))
    make_cityscapes(root, w=FULL[1], h=FULL[0])
    assert run_converter('cityscapes', root) == 0
    return root


def _queried_pixels():
    """105 single pixels (RIPU's PA: 21 per round x 5 at 2048x1024), at
    least 33 px apart as PixelUnit(suppress_k=32) leaves them."""
    ys, xs = np.meshgrid(np.arange(7) * 140 + 37, np.arange(15) * 133 + 51, indexing='ij')
    return (ys * FULL[1] + xs).ravel()


def _labelled_after_pipeline(config, cityscapes, store_dir):
    """Labels of the first target image as the config's pipeline gives them,
    after a round that labelled the queried pixels."""
    from mmengine.registry import init_default_scope

    from mmada.active.label_store import LabelStore, RoundUpdate
    from mmada.registry import DATASETS
    init_default_scope('mmada')
    cfg = Config.fromfile(osp.join(REPO, config))
    target = cfg.train_dataloader.dataset.target
    target.dataset.data_root = cityscapes
    target.label_store_dir = store_dir
    ds = DATASETS.build(target)
    pixels = _queried_pixels()
    labels = np.arange(len(pixels)) % 16  # valid for 19 and 16 classes
    LabelStore(store_dir, len(ds.metainfo['classes'])).commit_round(
        1, {ds.keys()[0]: RoundUpdate(FULL, pixels, labels)})
    seg = ds[0]['data_samples'].gt_sem_seg.data.numpy()[0]
    assert seg.shape == (640, 1280)
    return seg[seg != 255], labels


@pytest.mark.e2e
@pytest.mark.parametrize('name', sorted(PA))
def test_pa_configs_keep_every_queried_pixel(name, cityscapes, tmp_path):
    kept, labels = _labelled_after_pipeline(PA[name], cityscapes, str(tmp_path / 'labels'))
    assert len(kept) == len(labels) == 105
    assert np.bincount(kept, minlength=16).tolist() == np.bincount(labels, minlength=16).tolist()


def test_nearest_resize_of_the_ra_configs_would_lose_most_of_them(cityscapes, tmp_path):
    # The same round through the RA pipeline (nearest Resize, fine for
    # regions): each output pixel samples one of 1.6 x 1.6 source pixels.
    kept, labels = _labelled_after_pipeline(RA, cityscapes, str(tmp_path / 'labels'))
    assert len(kept) < 0.5 * len(labels)
