"""Label converters of tools/dataset_converters on tiny official-layout trees.

The ``make_*`` builders (tests/helpers/datasets.py) write a few images in each
dataset's official layout and id convention; the expected id -> train-id
tables there are written out by hand, independently of ``mmada.datasets.utils``.
"""
import json
import os

import numpy as np
import pytest

from tests.helpers.datasets import (
    CITIES, CS_TRAIN_ID, expected, id_strip, make_cityscapes, make_gta5, make_synscapes,
    make_synthia, read, _rgb, run_cli, run_converter, SYNTHIA_TRAIN_ID)


def test_hand_tables_are_complete():
    assert len(CS_TRAIN_ID) == 34 and len(SYNTHIA_TRAIN_ID) == 23
    assert sorted(t for t in CS_TRAIN_ID if t != 255) == list(range(19))
    assert sorted(t for t in SYNTHIA_TRAIN_ID if t != 255) == [
        t for t in range(19) if t not in (9, 14, 16)]


def test_gta5_every_id(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    assert run_converter('gta5', root) == 0
    for i in range(3):
        name = f'{i + 1:05d}'
        ids = read(root / 'labels' / f'{name}.png')  # palette indices
        out = read(root / 'labels' / f'{name}_labelTrainIds.png')
        assert out.dtype == np.uint8 and out.shape == ids.shape
        np.testing.assert_array_equal(out, expected(CS_TRAIN_ID, ids))
    # every Cityscapes id occurs, so every train id was produced
    assert set(np.unique(out)) == set(range(19)) | {255}


def test_gta5_size_mismatch_and_stats(tmp_path):
    root = make_gta5(tmp_path / 'gta5', n=3, w=40, h=24, mismatch=(1, ))
    assert run_converter('gta5', root) == 0
    with open(root / 'size_mismatch.json') as f:
        mismatches = json.load(f)
    assert mismatches == {
        'images/00002.png': dict(image=[40, 24], label=[38, 24])}
    with open(root / 'sample_class_stats.json') as f:
        stats = json.load(f)
    assert sorted(stats) == [f'labels/0000{i}_labelTrainIds.png'
                             for i in (1, 2, 3)]
    out = read(root / 'labels' / '00001_labelTrainIds.png')
    counts = {str(c): int((out == c).sum()) for c in range(19)
              if (out == c).any()}
    assert stats['labels/00001_labelTrainIds.png'] == counts
    assert '255' not in stats['labels/00001_labelTrainIds.png']


def test_synthia_every_id_16bit_first_channel(tmp_path):
    root = make_synthia(tmp_path / 'synthia')
    assert run_converter('synthia', root) == 0
    for i in range(2):
        out = read(root / 'GT' / 'LABELS' / f'{i:07d}_labelTrainIds.png')
        ids = id_strip(np.roll(np.arange(23), i), 46, 20)
        np.testing.assert_array_equal(out, expected(SYNTHIA_TRAIN_ID, ids))
    # terrain (9), truck (14) and train (16) never appear
    assert set(np.unique(out)) == {
        t for t in range(19) if t not in (9, 14, 16)} | {255}


def test_synscapes_every_id(tmp_path):
    root = make_synscapes(tmp_path / 'synscapes')
    assert run_converter('synscapes', root) == 0
    for i in (1, 2):
        ids = read(root / 'img' / 'class' / f'{i}.png')
        out = read(root / 'img' / 'class' / f'{i}_labelTrainIds.png')
        np.testing.assert_array_equal(out, expected(CS_TRAIN_ID, ids))
    assert (root / 'sample_class_stats.json').exists()


def test_cityscapes_splits_and_lists(tmp_path):
    root = make_cityscapes(tmp_path / 'cityscapes', per_city=2)
    assert run_converter('cityscapes', root, '--nproc', 2) == 0
    for split, cities in CITIES.items():
        names = (root / f'{split}.txt').read_text().split()
        assert names == [f'{c}/{c}_{k:06d}_{19 + k:06d}' for c in cities
                         for k in range(2)]
        for name in names:
            gt = root / 'gtFine' / split / f'{name}_gtFine'
            np.testing.assert_array_equal(
                read(f'{gt}_labelTrainIds.png'),
                expected(CS_TRAIN_ID, read(f'{gt}_labelIds.png')))
    with open(root / 'sample_class_stats.json') as f:
        assert len(json.load(f)) == 6


def test_idempotent_and_force(tmp_path):
    root = make_synscapes(tmp_path / 'synscapes')
    assert run_converter('synscapes', root) == 0
    out1 = root / 'img' / 'class' / '1_labelTrainIds.png'
    out2 = root / 'img' / 'class' / '2_labelTrainIds.png'
    stats = (root / 'sample_class_stats.json').read_text()
    old = os.stat(out1).st_mtime_ns - 10**9  # mark both outputs as older
    for out in (out1, out2):
        os.utime(out, ns=(old, old))
    src2 = root / 'img' / 'class' / '2.png'
    os.utime(src2, ns=(old - 10**9, old - 10**9))  # source 2 older still
    os.utime(root / 'img' / 'class' / '1.png')  # source 1 edited "now"
    assert run_converter('synscapes', root) == 0
    assert os.stat(out1).st_mtime_ns > old  # re-converted: source newer
    assert os.stat(out2).st_mtime_ns == old  # skipped: output up to date
    assert (root / 'sample_class_stats.json').read_text() == stats
    assert run_converter('synscapes', root, '--force') == 0
    assert os.stat(out2).st_mtime_ns > old
    assert not list((root / 'img' / 'class').glob('*.part'))


@pytest.mark.parametrize('name,builder,remove,message', [
    ('gta5', make_gta5, 'images', 'images'),
    ('synthia', make_synthia, 'GT/LABELS/0000001.png', '0000001.png'),
    ('synscapes', make_synscapes, None, 'does not exist'),
    ('cityscapes', make_cityscapes, 'gtFine/val', 'gtFine/val'),
])
def test_bad_folder_one_message(tmp_path, capsys, name, builder, remove,
                                message):
    import shutil
    root = tmp_path / name
    if remove is not None:
        builder(root)
        target = root / remove
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    assert run_converter(name, root) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and message in err
    assert 'docs/datasets.md' in err


@pytest.mark.e2e
def test_cli_missing_folder_exit_code_and_message(tmp_path):
    root = make_gta5(tmp_path / 'gta5')
    os.remove(root / 'labels' / '00003.png')
    proc = run_cli('gta5', root)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    assert '00003.png' in proc.stderr and 'docs/datasets.md' in proc.stderr


def test_colour_label_is_refused(tmp_path, capsys):
    root = make_synscapes(tmp_path / 'synscapes')
    _rgb(str(root / 'img' / 'class' / '2.png'), 36, 18)  # a colour image
    assert run_converter('synscapes', root) == 1
    err = capsys.readouterr().err
    assert '2.png' in err and 'mode RGB' in err
