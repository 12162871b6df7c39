"""The embedded synthetic benchmark: determinism, layout, domain gap."""
import glob
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmada.datasets.synthetic import (BICYCLE, BUILDING, BUS, CAR, NUM_CLASSES, POLE,
                                      ROAD, SIDEWALK, SKY, TAIL_SHARE, TERRAIN, TRUCK,
                                      SyntheticConfig, format_properties,
                                      generate_benchmark, generate_scene, properties)
from tests.conftest import ROOT


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


def _scene_hash(preset, seed=0, n=3):
    h = hashlib.sha256()
    for domain in ('source', 'target'):
        for split in ('train', 'val'):
            for i in range(n):
                img, lab = generate_scene(domain, i, split, 64, 128, seed=seed, preset=preset)
                h.update(img.tobytes())
                h.update(lab.tobytes())
    return h.hexdigest()


def test_default_preset_draws_what_the_single_module_generator_drew():
    # Hash of these 12 scenes computed with mmada/datasets/synthetic.py before
    # it became a package (main at 649c457).
    assert _scene_hash('default') == (
        '107468059da5cba4620351bc62c754aac6d4925168e4550ca7625974268b8fba')


def test_hard_preset_is_deterministic_and_seeded():
    # Drawn again in a fresh interpreter with another hash seed: nothing may
    # depend on process state (string hashing, set order, global RNGs).
    code = ('from tests.test_datasets.test_synthetic import _scene_hash; '
            "print(_scene_hash('hard'))")
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONHASHSEED='12345', PYTHONPATH=ROOT),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == _scene_hash('hard')
    assert _scene_hash('hard') != _scene_hash('hard', seed=1)
    assert _scene_hash('hard') != _scene_hash('default')


def test_preset_is_checked_and_default_key_unchanged():
    with pytest.raises(ValueError, match='preset must be one of'):
        SyntheticConfig(preset='harder')
    with pytest.raises(ValueError, match='preset'):
        generate_scene('source', 0, preset='harder')
    assert 'preset' not in SyntheticConfig().key()  # old default meta.json stays valid
    assert SyntheticConfig(preset='hard').key()['preset'] == 'hard'


def test_property_pieces_on_hand_values():
    label = np.array([[0, 0, 1],
                      [0, 0, 1],
                      [2, 2, 2]], np.uint8)
    np.testing.assert_array_equal(properties._boundary(label), [
        [False, True, True],
        [True, True, True],
        [True, True, True]])
    # 10 images; class 0 has 90 of its 100 pixels in one image -> top 10 % holds 90 %.
    per_image = np.zeros((10, 2))
    per_image[:, 0] = [90] + [10 / 9] * 9
    per_image[:, 1] = 1
    np.testing.assert_allclose(properties._concentration(per_image), [90, 10])
    assert properties._rank_correlation(np.array([1., 2, 3]), np.array([30., 20, 10])) == (
        pytest.approx(-1.0))
    means = np.array([[0., 0, 0], [255, 255, 255], [np.nan] * 3])
    img = np.zeros((2, 2, 3))
    img[0, 0] = 200
    np.testing.assert_array_equal(properties._nearest_mean(img, means), [1])


@pytest.fixture(scope='module')
def hard_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic_hard'))
    cfg = SyntheticConfig(height=64, width=128, preset='hard', num_images={
        'source': {'train': 30, 'val': 4}, 'target': {'train': 60, 'val': 12}})
    assert generate_benchmark(root, cfg, nproc=1, verbose=False)
    return root


def test_hard_preset_properties_are_measured_and_hold(hard_root):
    with open(osp.join(hard_root, 'properties.json')) as f:
        props = json.load(f)
    share = np.array(props['pixel_share']['target'])
    # Long tail: several classes present but under 0.5 % of the target pixels.
    tail = [props['classes'].index(c) for c in props['tail_classes']]
    assert len(tail) >= 4 and all(0 < share[c] < TAIL_SHARE for c in tail)
    assert props['tail_threshold_percent'] == TAIL_SHARE
    # Thin objects: poles and bicycles are mostly edge pixels, roads are not.
    edge = props['boundary_fraction']
    assert edge[POLE] > 0.6 and edge[BICYCLE] > 0.6 and edge[ROAD] < 0.2
    # Class-dependent shift: the recoloured classes shift more than the others.
    shift = np.array([np.nan if v is None else v for v in props['colour_shift']])
    big = [c for c in (SIDEWALK, TERRAIN, TRUCK, BUS) if np.isfinite(shift[c])]
    assert big and min(shift[c] for c in big) > np.nanmax(shift[[ROAD, BUILDING, CAR]])
    # Difficulty: drawn per target image, and harder images are less separable.
    assert len(props['drawn_difficulty']['target/train']) == 60
    assert props['difficulty']['rank_corr_with_drawn_difficulty'] < -0.4
    assert props['difficulty']['separability_p90'] > props['difficulty']['separability_p10'] + 10
    text = format_properties(props)
    assert 'tail (< 0.5 % of target pixels)' in text and 'rank correlation' in text
