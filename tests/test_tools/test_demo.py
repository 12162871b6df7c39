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


def test_demo_runs_every_method_family_in_table_order():
    # source only, UDA, random, RIPU, CBDA, MADAv2, ADA-MCU, point supervision,
    # supervised: one row each; by default all but point supervision and the
    # supervised upper bound (the 10-minute limit); MADAv2 stage 1 + 2, point
    # supervision and supervised when named
    families = [r.family for r in demo.METHODS]
    assert sorted(set(families), key=families.index) == list(demo.FAMILIES)
    assert families == list(demo.FAMILIES[:6]) + ['MADAv2'] + list(demo.FAMILIES[6:])
    assert [r.family for r in demo.select_rows(None)] == [
        f for f in demo.FAMILIES if f not in ('point supervision', 'supervised')]
    assert [r.name for r in demo.METHODS if r.extra] == [
        'MADAv2 stage 1 + 2', 'point supervision K=10 x 5 pts', 'supervised (all target labels)']
    assert demo.select_rows(['point supervision K=10 x 5 pts'])[-1].family == 'point supervision'
    assert demo.METHODS[0] is demo.SOURCE_ONLY and demo.SOURCE_ONLY.family == 'source only'
    assert len({r.name for r in demo.METHODS}) == len(demo.METHODS)
    # work dirs are named after the configs
    assert len({r.config for r in demo.METHODS}) == len(demo.METHODS)


def test_chained_rows_continue_an_earlier_row():
    names = [r.name for r in demo.METHODS]
    chained = [r for r in demo.METHODS if r.after]
    assert [r.name for r in chained] == ['MADAv2 stage 1 + 2']
    for row in chained:
        assert names.index(row.after) < names.index(row.name) and row.note
    assert demo.chain(chained[0]) == [demo.METHODS[names.index('MADAv2 stage 1, 5 % images')]]


@pytest.mark.parametrize('row', demo.METHODS, ids=lambda r: r.name)
def test_demo_configs_exist_and_parse(row):
    path = osp.join(ROOT, row.config)
    assert osp.isfile(path), f'demo row {row.name!r} names a config that does not exist'
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(dict(row.options))
    if row is demo.SOURCE_ONLY:
        assert cfg.train_cfg.max_iters == 600  # the demo loads its iter_600.pth
    else:
        assert cfg.train_cfg.max_iters == 300


def test_demo_rows_are_make_benchmarks_rows():
    # the same protocol: a demo row trains the benchmark's row of the same name
    bench = {r.name: r for r in demo._rs().ROWS}
    for row in demo.METHODS:
        assert row.name in bench, row.name
        assert (row.config, row.options, row.after) == (
            bench[row.name].config, bench[row.name].options, bench[row.name].after)


def test_select_rows_always_keeps_source_only_and_rejects_unknown_names():
    assert demo.select_rows(['CBDA 2.2 %']) == [demo.SOURCE_ONLY, demo.METHODS[4]]
    assert demo.select_rows(None) == [r for r in demo.METHODS if not r.extra]
    with pytest.raises(SystemExit, match='unknown rows'):
        demo.select_rows(['CBDA 3%'])


def test_select_rows_adds_the_row_a_chained_row_continues():
    picked = demo.select_rows(['MADAv2 stage 1 + 2', 'RIPU RA 2.2 %'])
    assert [r.name for r in picked] == ['source only', 'RIPU RA 2.2 %',
                                        'MADAv2 stage 1, 5 % images', 'MADAv2 stage 1 + 2']


def _store_with_one_round(root, queried):
    store = LabelStore(root, num_classes=19)
    pixels = np.arange(queried, dtype=np.int64)
    labels = np.full(queried, 3, dtype=np.uint8)
    labels[0] = 255  # a void answer still spends budget
    store.commit_round(1, {'a.png': RoundUpdate(shape=(8, 16), pixels=pixels, labels=labels)})


def test_labels_spent_reads_the_store_and_counts_supervised_and_uda(tmp_path):
    rows = {r.family: r for r in demo.METHODS if not r.after}
    _store_with_one_round(str(tmp_path / 'active_labels'), 7)
    assert demo.labels_spent(rows['point supervision'], str(tmp_path), 1000) == 7
    assert demo.labels_spent(rows['supervised'], str(tmp_path / 'none'), 1000) == 1000
    assert demo.labels_spent(rows['UDA'], str(tmp_path / 'none'), 1000) == 0


def test_table_gives_pixels_points_share_and_times():
    rows = {r.family: r for r in demo.METHODS if not r.after}
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
    assert lines[3] == ('| MADAv2 stage 1, 5 % images | 15 images | 30.00 | 491,520 | 5.00 '
                        '| 2.0 | 3.5 |')
    assert 'not run' in lines[4] and rows['ADA-MCU'].config in lines[4]
    assert lines[5] == ('| point supervision K=10 x 5 pts | 50 pts/img | 20.46 | 15,000 points '
                        '| 0.15 | 1.3 | 2.0 |')


def test_derived_config_trains_on_the_preset_with_seed_and_checkpoint(tmp_path):
    rows = {r.family: r for r in demo.METHODS if not r.after}
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


def _rows():
    by_name = {r.name: r for r in demo.METHODS}
    return by_name['MADAv2 stage 1, 5 % images'], by_name['MADAv2 stage 1 + 2']


@pytest.mark.e2e
def test_chained_row_derives_the_stage1_checkpoint_label_store_and_short_schedule(tmp_path):
    stage1, stage2 = _rows()
    work_root = str(tmp_path)
    stage1_dir = osp.join(work_root, 'madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256')
    ckpt, store = demo.start_point(stage2, work_root)
    assert ckpt == osp.join(stage1_dir, 'iter_300.pth')  # stage 1's last checkpoint
    assert store == osp.join(stage1_dir, 'active_labels')
    assert demo.start_point(stage1, work_root) == (osp.join(
        work_root, 'sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256', 'iter_600.pth'),
        None)
    cfg = Config.fromfile(demo.derive_config(stage2, work_root, 'hard', 2, ckpt, store,
                                             "the 'MADAv2 stage 1, 5 % images' row"))
    assert cfg.load_from == ckpt and 'MADAv2 stage 1' in cfg.load_from_made_by
    assert cfg.train_dataloader.dataset.target.label_store_dir == store
    assert cfg.randomness.seed == 2
    assert cfg.train_dataloader.dataset.target.dataset.generator.preset == 'hard'
    assert cfg.train_cfg.max_iters == 300 and cfg.train_cfg.val_interval == 300  # as shipped
    assert cfg.model.extra_losses[2].type == 'SoftAnchorAlignmentLoss'
    assert [h.type for h in cfg.custom_hooks] == ['TargetAnchorInitHook']
    assert cfg.model.batch_steps[0].type == 'PseudoLabelTeacher'


def test_next_row_waits_for_the_row_it_continues(tmp_path):
    stage1, stage2 = _rows()
    other = demo.METHODS[1]
    work_root = str(tmp_path)
    order = demo.start_order([(stage2, 'c2'), (other, 'c0'), (stage1, 'c1')])
    assert [r.name for r, _ in order] == [stage1.name, stage2.name, other.name]
    assert demo.next_row(order, [], [], work_root)[0] is stage1
    # stage 1 running: the next free lane takes the row after stage 2
    assert demo.next_row(order[1:], [stage1.name], [], work_root)[0] is other
    assert demo.next_row(order[1:2], [stage1.name], [], work_root) is None
    ckpt, _ = demo.start_point(stage2, work_root)
    with pytest.raises(SystemExit, match="continues the 'MADAv2 stage 1, 5 % images' row, whose "
                       'run has no .*iter_300.pth'):
        demo.next_row(order[1:], [], [stage1.name], work_root)
    import os
    os.makedirs(osp.dirname(ckpt))
    open(ckpt, 'w').close()
    assert demo.next_row(order[1:], [], [stage1.name], work_root)[0] is stage2
    with pytest.raises(SystemExit, match='has not run and is not scheduled'):
        demo.next_row([(stage2, 'c2')], [], [], work_root)


@pytest.mark.e2e
def test_a_failed_row_names_the_rows_that_continue_it(tmp_path):
    stage1, stage2 = _rows()
    missing = str(tmp_path / 'no_such_config.py')  # tools/train.py exits at once
    with pytest.raises(SystemExit, match=r'MADAv2 stage 1, 5 % images failed; see .*\.log '
                       r'\(not run, they continue it: MADAv2 stage 1 \+ 2\)'):
        demo.run_all([(stage2, missing), (stage1, missing)], str(tmp_path), 2)


def test_chained_row_counts_the_labels_of_the_row_it_continues(tmp_path):
    _, stage2 = _rows()
    _store_with_one_round(str(tmp_path / 'stage1' / 'active_labels'), 11)
    own = str(tmp_path / 'stage2')
    assert demo.labels_spent(stage2, own, 1000) == 0
    assert demo.labels_spent(stage2, own, 1000, [str(tmp_path / 'stage1' / 'active_labels')]) == 11


def test_table_notes_what_a_chained_row_adds_and_why_it_did_not_run():
    stage1, stage2 = _rows()
    results = {n: dict(mIoU=30.0, labelled=491520, minutes=1.0, cpu_minutes=2.0)
               for n in (stage1.name, stage2.name)}
    text = demo.table([stage1, stage2], results, 300 * 128 * 256)
    lines = text.splitlines()
    assert lines[3] == ('| MADAv2 stage 1 + 2 | 15 images (stage 1) | 30.00 | 491,520 | 5.00 '
                        '| 1.0 | 2.0 |')
    assert lines[4] == '' and lines[5].startswith('- MADAv2 stage 1 + 2: stage 2 (')
    assert 'buys no label' in lines[5] and 'soft-anchor' in lines[5]
    text = demo.table([stage2], {}, 1000, skipped=[stage2])
    assert "not run: it continues the 'MADAv2 stage 1, 5 % images' row" in text


def test_skipped_and_reused_rows_follow_their_chain(tmp_path, monkeypatch):
    stage1, stage2 = _rows()
    ghost = stage1._replace(name='ghost', config='configs/none.py', optional=True)
    ghost2 = stage2._replace(name='ghost 2', after='ghost')
    monkeypatch.setattr(demo, 'METHODS', demo.METHODS + [ghost, ghost2])
    assert demo.skipped_rows(demo.METHODS) == [ghost, ghost2]
    prev = {demo.SOURCE_ONLY.name: {}, stage2.name: {}}
    # stage 1 trains again, so stage 2 (which continues it) too
    assert list(demo.reusable([demo.SOURCE_ONLY, stage1, stage2], prev)) == ['source only']
    prev[stage1.name] = {}
    assert list(demo.reusable([demo.SOURCE_ONLY, stage1, stage2], prev)) == [
        'source only', stage1.name, stage2.name]
    assert demo.reusable([stage1], {stage1.name: {}}) == {}  # no source only: train all


def test_idle_minutes_schedules_the_cpu_times_on_two_lanes():
    by_name = {r.name: r for r in demo.METHODS}
    stage1, stage2 = _rows()
    ripu, cbda = by_name['RIPU RA 2.2 %'], by_name['CBDA 2.2 %']
    order = [demo.SOURCE_ONLY, stage1, stage2, ripu, cbda]
    cpu = {demo.SOURCE_ONLY.name: 1.5, stage1.name: 1.0, stage2.name: 2.0, ripu.name: 3.0,
           cbda.name: 0.5}
    # source only alone (0-1.5); lane A: stage 1 (1.5-2.5), then stage 2 (2.5-4.5);
    # lane B: RIPU (1.5-4.5); CBDA on the first free lane at 4.5 (-5.0); + 0.25 serial
    assert demo.idle_minutes(order, cpu, 2, 0.25) == pytest.approx(5.25)
    # one lane: everything in a row
    assert demo.idle_minutes(order, cpu, 1) == pytest.approx(8.0)
    # stage 2 waits for stage 1 even when a lane is free earlier
    order = [demo.SOURCE_ONLY, stage1, ripu, stage2]
    cpu = {demo.SOURCE_ONLY.name: 1.0, stage1.name: 4.0, ripu.name: 1.0, stage2.name: 1.0}
    assert demo.idle_minutes(order, cpu, 2) == pytest.approx(6.0)


def test_benchmark_column_comes_from_the_benchmarks_section(tmp_path):
    doc = tmp_path / 'results.md'
    doc.write_text('# R\n\n<!-- results-synthetic-hard:start -->\n## Preset `hard`\n\nText.\n\n'
                   '| method | budget | seeds | mIoU | tail mIoU |\n|---|---|---:|---:|---:|\n'
                   '| source only | 0 | 1 | 25.87 | 11.29 |\n'
                   '| RIPU RA 2.2 % | 2.2 % | 3 | 52.82 ± 0.23 | 25.11 ± 2.31 |\n\nGoals:\n'
                   '<!-- results-synthetic-hard:end -->\n')
    cells = demo.benchmark_miou(str(doc), 'hard')
    assert cells == {'source only': '25.87', 'RIPU RA 2.2 %': '52.82 ± 0.23'}
    assert demo.benchmark_miou(str(doc), 'default') == {}
    assert demo.benchmark_miou(str(tmp_path / 'none.md')) == {}
    rows = {r.name: r for r in demo.METHODS}
    results = {n: dict(mIoU=m, labelled=0, minutes=1.0, cpu_minutes=1.0)
               for n, m in (('source only', 24.891), ('AdvEnt (no target label)', 27.0))}
    lines = demo.table([rows['source only'], rows['AdvEnt (no target label)']], results, 100,
                       benchmark=cells).splitlines()
    assert lines[0].startswith('| method | budget | target val mIoU | make benchmark, 3 seeds |')
    assert lines[2] == '| source only | 0 | 24.89 | 25.87 | 0 | 0.00 | 1.0 | 1.0 |'
    assert lines[3].startswith('| AdvEnt (no target label) | 0 | 27.00 | - | 0 |')


def test_docs_section_frames_header_table_and_the_seed_note():
    text = demo.docs_section('| t |', 'Header.', 'demo-hard')
    assert text.splitlines() == ['<!-- demo-hard:start -->', 'Header.', '', '| t |', '',
                                 demo.SEED_NOTE, '<!-- demo-hard:end -->']
    assert 'make benchmark' in demo.SEED_NOTE and 'One seed' in demo.SEED_NOTE
