"""Pieces of tools/demo.py (``make demo``) on hand values (no training)."""
import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config

from mmada.active.label_store import LabelStore, RoundUpdate

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_demo():
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location('demo', osp.join(ROOT, 'tools', 'demo.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved


demo = _load_demo()


def test_demo_runs_every_method_family_once_in_table_order():
    # issue 15 item 3: source only, UDA, random, RIPU, CBDA, MADAv2, ADA-MCU,
    # point supervision, supervised
    assert [r.family for r in demo.METHODS] == list(demo.FAMILIES)
    assert len(demo.FAMILIES) == 9
    assert demo.METHODS[0] is demo.SOURCE_ONLY and demo.SOURCE_ONLY.family == 'source only'
    assert len({r.name for r in demo.METHODS}) == len(demo.METHODS)


@pytest.mark.parametrize('row', demo.METHODS, ids=lambda r: r.family)
def test_demo_configs_exist_and_parse(row):
    path = osp.join(ROOT, row.config)
    if row.optional and not osp.exists(path):
        pytest.skip(f'{row.config} has not landed in this checkout')
    cfg = Config.fromfile(path)
    if row is demo.SOURCE_ONLY:
        assert cfg.train_cfg.max_iters == 600  # the demo loads its iter_600.pth
    else:
        assert cfg.train_cfg.max_iters == 300


def test_select_rows_always_keeps_source_only_and_rejects_unknown_names():
    assert demo.select_rows(['CBDA 2.2%']) == [demo.SOURCE_ONLY, demo.METHODS[4]]
    assert demo.select_rows(None) == demo.METHODS
    with pytest.raises(SystemExit, match='unknown rows'):
        demo.select_rows(['CBDA 3%'])


def _store_with_one_round(root, queried):
    store = LabelStore(root, num_classes=19)
    pixels = np.arange(queried, dtype=np.int64)
    labels = np.full(queried, 3, dtype=np.uint8)
    labels[0] = 255  # a void answer still spends budget
    store.commit_round(1, {'a.png': RoundUpdate(shape=(8, 16), pixels=pixels, labels=labels)})


def test_labels_spent_reads_the_store_and_counts_supervised_and_uda(tmp_path):
    rows = {r.family: r for r in demo.METHODS}
    _store_with_one_round(str(tmp_path / 'active_labels'), 7)
    assert demo.labels_spent(rows['point supervision'], str(tmp_path), 1000) == 7
    assert demo.labels_spent(rows['supervised'], str(tmp_path / 'none'), 1000) == 1000
    assert demo.labels_spent(rows['UDA'], str(tmp_path / 'none'), 1000) == 0


def test_table_gives_pixels_points_share_and_times():
    rows = {r.family: r for r in demo.METHODS}
    total = 300 * 128 * 256  # 9,830,400 target training pixels
    picked = [rows['source only'], rows['MADAv2'], rows['ADA-MCU'], rows['point supervision']]
    results = {
        rows['source only'].name: dict(mIoU=9.391, labelled=0, minutes=0.74, cpu_minutes=1.26),
        # 15 whole images of 128 x 256 = 491,520 px = 5 % of the target pixels
        rows['MADAv2'].name: dict(mIoU=30.0, labelled=15 * 128 * 256, minutes=2.0,
                                  cpu_minutes=3.5),
        # 50 points in each of the 300 images = 15,000 px = 0.15 %
        rows['point supervision'].name: dict(mIoU=20.456, labelled=15000, minutes=1.26,
                                             cpu_minutes=2.04),
    }
    lines = demo.table(picked, results, total, skipped=[rows['ADA-MCU']]).splitlines()
    assert lines[2] == '| source only | 0 | 9.39 | 0 | 0.00 | 0.7 | 1.3 |'
    assert lines[3] == ('| MADAv2 stage 1, 5% images | 15 images | 30.00 | 491,520 | 5.00 '
                        '| 2.0 | 3.5 |')
    assert 'not run' in lines[4] and rows['ADA-MCU'].config in lines[4]
    assert lines[5] == ('| point supervision K=10 x 5 pts | 50 pts/img | 20.46 | 15,000 points '
                        '| 0.15 | 1.3 | 2.0 |')


def test_derived_config_trains_on_the_preset_with_seed_and_checkpoint(tmp_path):
    rows = {r.family: r for r in demo.METHODS}
    path = demo.derive_config(rows['UDA'], str(tmp_path), 'hard', 3, 'src/iter_600.pth')
    cfg = Config.fromfile(path)
    assert path.startswith(str(tmp_path))
    assert cfg.randomness.seed == 3 and cfg.load_from == 'src/iter_600.pth'
    for dataset in (cfg.train_dataloader.dataset.source, cfg.train_dataloader.dataset.target,
                    cfg.val_dataloader.dataset):
        assert dataset.bench_root == demo.BENCH_ROOTS['hard']
        assert dataset.generator.preset == 'hard'


def test_reuse_keeps_rows_only_of_the_same_preset_and_seed(tmp_path):
    import json
    rows = dict(results={'source only': dict(mIoU=9.9)}, preset='default', seed=0)
    (tmp_path / 'results.json').write_text(json.dumps(rows))
    assert demo.previous_results(str(tmp_path), 'default', 0) == rows['results']
    assert demo.previous_results(str(tmp_path), 'hard', 0) == {}
    assert demo.previous_results(str(tmp_path), 'default', 1) == {}
    assert demo.previous_results(str(tmp_path / 'none'), 'default', 0) == {}
