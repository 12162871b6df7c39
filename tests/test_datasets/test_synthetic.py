"""The embedded synthetic benchmark: determinism, layout, domain gap."""
import glob
import os.path as osp

import numpy as np
import pytest

from mmada.datasets.synthetic import (NUM_CLASSES, SKY, ROAD, SyntheticConfig,
                                      generate_benchmark, generate_scene)


def test_same_seed_same_scene_other_seed_other_scene():
    a_img, a_lab = generate_scene('target', 7, 'train', 64, 128, seed=1)
    b_img, b_lab = generate_scene('target', 7, 'train', 64, 128, seed=1)
    c_img, c_lab = generate_scene('target', 7, 'train', 64, 128, seed=2)
    np.testing.assert_array_equal(a_img, b_img)
    np.testing.assert_array_equal(a_lab, b_lab)
    assert not np.array_equal(a_lab, c_lab)
    assert a_img.shape == (64, 128, 3) and a_img.dtype == np.uint8
    assert a_lab.shape == (64, 128) and a_lab.max() < NUM_CLASSES


def test_layout_is_cityscapes_and_generation_is_idempotent(tmp_path):
    cfg = SyntheticConfig(height=32, width=64, num_images={
        'source': {'train': 3, 'val': 1}, 'target': {'train': 2, 'val': 2}})
    assert generate_benchmark(str(tmp_path), cfg, nproc=1) is True
    imgs = sorted(glob.glob(str(tmp_path / 'target/leftImg8bit/train/synth/*_leftImg8bit.png')))
    segs = sorted(glob.glob(str(tmp_path / 'target/gtFine/train/synth/*_gtFine_labelTrainIds.png')))
    assert [osp.basename(p) for p in imgs] == [
        'synth_000000_000000_leftImg8bit.png', 'synth_000000_000001_leftImg8bit.png']
    assert len(segs) == 2
    assert len(glob.glob(str(tmp_path / 'source/leftImg8bit/train/synth/*.png'))) == 3
    stamp = osp.getmtime(imgs[0])
    assert generate_benchmark(str(tmp_path), cfg, nproc=1) is False  # nothing redone
    assert osp.getmtime(imgs[0]) == stamp


def test_mmseg_cityscapes_reader_loads_it(bench_root):
    from mmengine.registry import DefaultScope
    from mmseg.datasets import CityscapesDataset
    with DefaultScope.overwrite_default_scope('mmada'):
        ds = _cityscapes(CityscapesDataset, bench_root)
    assert len(ds) == 6
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 128)
    assert sample['data_samples'].gt_sem_seg.data.max() < 19


def _cityscapes(CityscapesDataset, bench_root):
    return CityscapesDataset(
        data_root=osp.join(bench_root, 'target'),
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                  dict(type='PackSegInputs')])


def _class_stats(domain, n=40):
    colours = {c: [] for c in range(NUM_CLASSES)}
    counts = np.zeros(NUM_CLASSES)
    for i in range(n):
        img, lab = generate_scene(domain, i, 'train', 64, 128)
        counts += np.bincount(lab.ravel(), minlength=NUM_CLASSES)
        for c in (ROAD, SKY):
            colours[c].append(img[lab == c].reshape(-1, 3).mean(0))
    return counts / counts.sum(), {c: np.mean(v, 0) for c, v in colours.items() if v}


def test_domains_differ_in_look_and_class_frequencies_and_have_a_long_tail():
    src_freq, src_col = _class_stats('source')
    tgt_freq, tgt_col = _class_stats('target')
    # Appearance gap: the same class has a clearly different mean colour.
    for c in (ROAD, SKY):
        assert np.abs(src_col[c] - tgt_col[c]).sum() > 60
    # Label shift: class frequencies differ (total variation distance).
    assert 0.5 * np.abs(src_freq - tgt_freq).sum() > 0.05
    # Long tail: every class occurs, the rarest far below the most frequent.
    assert (src_freq > 0).sum() >= 17 and (tgt_freq > 0).sum() >= 17
    assert tgt_freq.max() > 50 * np.sort(tgt_freq)[2]


def test_bad_domain_or_split():
    with pytest.raises(ValueError, match='domain'):
        generate_scene('real', 0)
    with pytest.raises(ValueError, match='split'):
        generate_scene('source', 0, split='test')
