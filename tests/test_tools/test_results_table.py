"""Pieces of tools/benchmarks/results_synthetic.py on hand values (no training)."""
import importlib.util
import json
import os
import math
import os.path as osp
import sys

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(name):
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(ROOT, 'tools', 'benchmarks', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved


rt = _load('results_table')
rs = _load('results_synthetic')


def test_mean_std_skips_missing_values():
    assert rt.mean_std([1, 2, 3, float('nan'), None]) == dict(mean=2.0, std=1.0, n=3)
    assert rt.mean_std([4.0]) == dict(mean=4.0, std=0.0, n=1)
    assert rt.mean_std([])['n'] == 0


def test_tail_is_the_rarest_third_of_present_classes():
    # 6 present classes (index 1 is absent) -> the 2 rarest: 0.5 % then 1 %.
    assert rt.tail_classes([50, 0, 10, 1, 5, 0.5, 30]) == [5, 3]


def _rec(miou, tail=0.0, imb=0.5, lab=100.0, per_class=(10.0, 20.0)):
    return dict(mIoU=miou, tail_mIoU=tail, imbalance=imb, labelled=lab, minutes=1.0,
                it_per_s=5.0, per_class=list(per_class))


def test_aggregate_and_pooled_std():
    rows = rt.aggregate({'a': [_rec(40, per_class=(10, float('nan'))),
                               _rec(42, per_class=(20, 30))], 'empty': []})
    assert list(rows) == ['a']
    assert rows['a']['mIoU']['mean'] == 41 and rows['a']['mIoU']['std'] == pytest.approx(
        math.sqrt(2))
    assert rows['a']['per_class'] == [15, 30] and rows['a']['seeds'] == 2
    a, b = dict(mean=0, std=1.0, n=3), dict(mean=0, std=2.0, n=3)
    assert rt.pooled_std(a, b) == pytest.approx(math.sqrt((2 * 1 + 2 * 4) / 4))
    one = dict(mean=0, std=0.0, n=1)  # the single source-only run
    assert rt.pooled_std(a, one) == pytest.approx(1.0)
    assert math.isnan(rt.pooled_std(one, one))


def test_a_pair_of_single_runs_is_not_measured():
    rows = {'a': rt.aggregate({'a': [_rec(30)]})['a'],
            'b': rt.aggregate({'b': [_rec(20)]})['b']}
    assert rt._greater(rows, 'a', 'b')['holds'] is None


def _rows():
    def row(values, imb=0.5):
        return rt.aggregate({'x': [_rec(v, imb=imb) for v in values]})['x']
    return {
        'src': row([10]), 'sup': row([50, 50, 50]),
        'rand RA': row([29, 30, 31]),      # closes 50 % of the gap
        'RIPU RA': row([32, 33, 34]),      # +3 > 2 x pooled std 1
        'rand PA': row([20, 21, 22]), 'RIPU PA': row([21, 22, 23]),  # +1 < 2
        'RA10': row([40, 40, 40], imb=0.3), 'CB10': row([41, 41, 41], imb=0.2),
    }


def test_goals_on_hand_values():
    names = dict(source='src', supervised='sup', uda='', random_ra='rand RA',
                 ripu_ra='RIPU RA', random_pa='rand PA', ripu_pa='RIPU PA',
                 entropy_pa='ent PA', ra10='RA10', cbda10='CB10', ra20='RA20',
                 cbda20='CB20', active='rand RA,RIPU RA')
    goals = {g['goal']: g for g in rt.check_goals(_rows(), names)}
    closed = goals['random RA closes at most 70 % of the source-only -> supervised gap']
    assert closed['holds'] is True and closed['numbers'] == '50 %'
    assert goals['RIPU RA > random RA (gap > 2x pooled std)']['holds'] is True
    assert goals['RIPU PA > random PA (gap > 2x pooled std)']['holds'] is False
    assert goals['random PA > entropy PA (gap > 2x pooled std)']['holds'] is None
    assert goals['CBDA imbalance < RA imbalance at 10 %']['holds'] is True
    assert goals['CBDA mIoU >= RA mIoU at 10 %']['holds'] is True
    assert goals['CBDA imbalance < RA imbalance at 20 %']['holds'] is None
    assert goals['rand RA > src']['holds'] is True
    assert goals['UDA > source only']['holds'] is None
    text = rt.goals_table(list(goals.values()))
    assert '**does not hold**' in text and 'not measured' in text


def test_self_training_is_compared_with_uda():
    rows = dict(_rows(), uda=_rows()['rand RA'], st=_rows()['RIPU RA'])  # +3 > 2 x pooled std 1
    names = dict(source='src', supervised='sup', uda='uda', self_training='st',
                 random_ra='rand RA', ripu_ra='RIPU RA', random_pa='rand PA',
                 ripu_pa='RIPU PA', entropy_pa='ent PA', ra10='RA10', cbda10='CB10',
                 ra20='RA20', cbda20='CB20', active=[])
    goals = {g['goal']: g for g in rt.check_goals(rows, names)}
    assert goals['st > uda (gap > 2x pooled std)']['holds'] is True
    assert 'gap +3.00' in goals['st > uda (gap > 2x pooled std)']['numbers']


def test_scratch_rows_start_from_no_checkpoint(tmp_path):
    row = rs.ROWS[[r.role for r in rs.ROWS].index('self_training')]
    assert row.scratch
    job = rs.make_job(row, 0, str(tmp_path), 'hard', '/data/h', '/source_only.pth')
    assert Config.fromfile(job.config).load_from is None


def test_active_rows_given_as_a_list_keep_names_with_commas():
    rows = dict(_rows(), **{'MADAv2 stage 1, 5 % images': _rows()['RIPU RA']})
    names = dict(source='src', supervised='sup', uda='', random_ra='rand RA',
                 ripu_ra='RIPU RA', random_pa='rand PA', ripu_pa='RIPU PA',
                 entropy_pa='ent PA', ra10='RA10', cbda10='CB10', ra20='RA20',
                 cbda20='CB20', active=['MADAv2 stage 1, 5 % images'])
    goals = {g['goal']: g for g in rt.check_goals(rows, names)}
    assert goals['MADAv2 stage 1, 5 % images > src']['holds'] is True
    assert not any(g.startswith(' 5 % images') for g in goals)


def test_tables_show_mean_and_std():
    rows = rt.aggregate({'m': [_rec(40, lab=1000), _rec(42, lab=1000)]})
    table = rt.results_table(rows, {'m': '2.2 %'})
    assert '| m | 2.2 % | 2 | 41.00 ± 1.41 | 0.00 ± 0.00 | 0.500 ± 0.000 | 1,000 |' in table
    heat = rt.per_class_table(rows, ['road', 'pole'], tail=[1])
    assert heat.splitlines()[0] == '| method | road | pole* |'
    assert heat.splitlines()[2] == '| m | 10.0 | 20.0 |'


@pytest.mark.parametrize('name', ['CBDA 10 %', 'AdvEnt (no target label)'])
def test_derive_config_selects_preset_seed_checkpoint_and_per_class_iou(tmp_path, name):
    row = rs.ROWS[[r.name for r in rs.ROWS].index(name)]
    path = rs.derive_config(row, str(tmp_path / 'c.py'), 'hard', '/data/h', 7, '/ck.pth')
    cfg = Config.fromfile(path)
    datasets = [d for d in rs._walk_dicts(cfg._cfg_dict)
                if str(d.get('type', '')).endswith('SyntheticCityscapesDataset')]
    assert len(datasets) >= 3
    assert all(d['bench_root'] == '/data/h' and d['generator']['preset'] == 'hard'
               for d in datasets)
    assert cfg.randomness.seed == 7 and cfg.load_from == '/ck.pth'
    if name == 'CBDA 10 %':
        assert cfg.active_learning.budget.value == 0.10
    assert cfg.val_evaluator.type == 'SubsetIoUMetric'
    assert cfg.val_evaluator.class_subsets['IoU-18'] == [18]


def test_run_record_reads_scalars_and_supervised_counts(tmp_path):
    vis = tmp_path / 'run' / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(time=0.2, iter=50), dict(time=0.3, iter=100),
             {'mIoU': 33.0, 'IoU-00': 50.0, 'IoU-01': float('nan'), 'IoU-02': 10.0}]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines))
    rec = rs.run_record(str(tmp_path / 'run'), 2.0, tail=[1, 2], num_classes=3,
                        supervised_counts=[5.0, 5.0, 0.0])
    assert rec['mIoU'] == 33.0 and rec['tail_mIoU'] == 10.0  # NaN class left out
    assert rec['it_per_s'] == pytest.approx(4.0) and rec['labelled'] == 10.0
    # Two of three classes, equal shares: KL(share || uniform) / log 3 = log(1.5) / log 3.
    assert rec['imbalance'] == pytest.approx(math.log(1.5) / math.log(3))
    bare = rs.run_record(str(tmp_path / 'run'), 2.0, tail=[0], num_classes=3)
    assert bare['labelled'] == 0 and math.isnan(bare['imbalance'])


def test_every_row_has_an_existing_config_and_unique_name():
    names = [r.name for r in rs.ROWS]
    assert len(set(names)) == len(names) and len({rs.slug(n) for n in names}) == len(names)
    for row in rs.ROWS:
        assert osp.exists(osp.join(ROOT, row.config)), row.config


def test_report_is_marked_partial_and_keeps_other_sections(tmp_path):
    from argparse import Namespace

    from mmada.datasets.synthetic import CLASSES
    out = tmp_path / 'results.md'
    out.write_text('# Results\n\nintro\n')
    rows = [rs.SOURCE_ONLY, rs.ROWS[[r.name for r in rs.ROWS].index('random RA 2.2 %')]]
    per_class = [float(c) for c in range(19)]
    records = {rows[0].name: {0: _rec(10, per_class=per_class)},
               rows[1].name: {0: _rec(30, per_class=per_class),
                              1: _rec(32, per_class=per_class)}}
    props = _props()
    stage2 = rs.ROWS[[r.name for r in rs.ROWS].index('MADAv2 stage 1 + 2')]
    rows.append(stage2)
    records[stage2.name] = {0: _rec(35, per_class=per_class)}
    args = Namespace(out=str(out), preset='hard', jobs=2, nice=15)
    rs.write_report(args, rows, records, list(CLASSES), [0, 1], props, 5.0, 9.0)
    text = out.read_text()
    assert ('MADAv2 stage 1 + 2 continues the MADAv2 stage 1, 5 % images run of the same seed '
            '(its last checkpoint and its label store' in text)
    assert text.startswith('# Results\n\nintro\n')
    assert '## Preset `hard` (partial run)' in text and '**Partial run**' in text
    assert '| random RA 2.2 % | 2.2 % | 2 | 31.00 ± 1.41 |' in text
    assert '<!-- properties-hard:start -->' in text and 'rank correlation' not in text
    assert (tmp_path / 'results_hard.png').exists()



def _props():
    from mmada.datasets.synthetic import CLASSES
    return dict(classes=list(CLASSES), tail_threshold_percent=0.5, tail_classes=[],
                pixel_share=dict(target=[5.0] * 19, source=[5.0] * 19),
                **{k: [1.0] * 19 for k in (
                    'image_share', 'top10_image_share', 'median_component_area',
                    'boundary_fraction', 'colour_shift', 'recall_source_means',
                    'recall_target_means')},
                difficulty=dict(separability_p10=1.0, separability_p50=2.0,
                                separability_p90=3.0))


def test_complete_hard_run_replaces_the_readme_section_and_a_partial_one_does_not(tmp_path):
    from argparse import Namespace

    from mmada.datasets.synthetic import CLASSES
    readme = tmp_path / 'README.md'
    readme.write_text('# Project\n\n<!-- results-synthetic-readme:start -->\nold\n'
                      '<!-- results-synthetic-readme:end -->\n\n## Later\n')
    docs = tmp_path / 'docs'
    docs.mkdir()
    per_class = [float(c) for c in range(19)]
    records = {r.name: {s: _rec(10 + i + s, per_class=per_class) for s in (0, 1, 2)}
               for i, r in enumerate(rs.ROWS)}
    records[rs.SOURCE_ONLY.name] = {0: _rec(10, per_class=per_class)}
    args = Namespace(out=str(docs / 'results.md'), preset='hard', jobs=2, nice=0,
                     readme=str(readme))
    partial = {k: dict(v) for k, v in records.items()}
    partial['CBDA 20 %'].pop(2)
    rs.write_report(args, rs.ROWS, partial, list(CLASSES), [0, 1], _props(), 5.0, 9.0)
    assert '\nold\n' in readme.read_text()
    rs.write_report(args, rs.ROWS, records, list(CLASSES), [0, 1], _props(), 5.0, 9.0)
    text = readme.read_text()
    assert text.startswith('# Project\n') and text.rstrip().endswith('## Later')
    assert '\nold\n' not in text
    # the date, machine, goal count and figure; the numbers are in the methods table
    assert 'from its latest complete run, ' in text and '| random RA' not in text
    assert '![mIoU and per-class IoU](docs/results_hard.png)' in text
    assert 'commit ' in text and 'Goals: ' in text

def _row(name):
    return rs.ROWS[[r.name for r in rs.ROWS].index(name)]


STAGE1, STAGE2 = 'MADAv2 stage 1, 5 % images', 'MADAv2 stage 1 + 2'


def test_existing_row_folders_keep_their_names():
    # make benchmark reuses finished runs by folder (record.json): renaming a row retrains it
    assert rs.slug(STAGE1) == 'madav2-stage-1--5---images'
    assert rs.slug('ADA-MCU 2.2 % (online)') == 'ada-mcu-2-2----online'
    assert rs.run_dir('/w', _row(STAGE1), 2) == '/w/madav2-stage-1--5---images/seed2'


def test_chains_name_earlier_rows_and_bad_names_fail():
    names = [r.name for r in rs.ROWS]
    for row in rs.ROWS:
        for prev in rs.chain(row, rs.ROWS):
            assert names.index(prev.name) < names.index(row.name)
    assert rs.chain(_row(STAGE2), rs.ROWS) == [_row(STAGE1)]
    assert [r.name for r in rs.select_rows([STAGE2])] == ['source only', STAGE1, STAGE2]
    lost = _row(STAGE2)._replace(after='MADAv2 stage 0')
    with pytest.raises(SystemExit, match="continues 'MADAv2 stage 0', which is no row"):
        rs.chain(lost, rs.ROWS)
    a, b = lost._replace(name='a', after='b'), lost._replace(name='b', after='a')
    with pytest.raises(SystemExit, match='in a loop'):
        rs.chain(a, [a, b])


@pytest.mark.e2e
def test_chained_job_starts_from_the_same_seed_stage1_run(tmp_path):
    work_root = str(tmp_path / 'hard')
    job = rs.make_job(_row(STAGE2), 1, work_root, 'hard', '/data/h', '/src/iter_600.pth')
    stage1 = osp.join(work_root, 'madav2-stage-1--5---images', 'seed1')
    assert job.work_dir == osp.join(work_root, 'madav2-stage-1---2', 'seed1')
    assert job.needs == stage1 and job.load_from == osp.join(stage1, 'iter_300.pth')
    cfg = Config.fromfile(job.config)
    assert cfg.load_from == job.load_from and 'seed 1' in cfg.load_from_made_by
    assert cfg.train_dataloader.dataset.target.label_store_dir == osp.join(stage1,
                                                                           'active_labels')
    assert cfg.randomness.seed == 1 and cfg.train_cfg.max_iters == 300
    assert cfg.val_evaluator.class_subsets['IoU-03'] == [3]
    plain = rs.make_job(_row(STAGE1), 1, work_root, 'hard', '/data/h', '/src/iter_600.pth')
    assert plain.needs == '' and Config.fromfile(plain.config).load_from == '/src/iter_600.pth'
    assert rs.label_stores(_row(STAGE2), job.work_dir, work_root, 1) == [
        osp.join(job.work_dir, 'active_labels'), osp.join(stage1, 'active_labels')]


def test_chained_row_whose_config_reads_no_store_is_refused(tmp_path):
    advent = _row('AdvEnt (no target label)')._replace(name='x', after=STAGE1)
    with pytest.raises(SystemExit, match='has no label_store_dir in train_dataloader'):
        rs.derive_config(advent, str(tmp_path / 'c.py'), 'hard', '/d', 0, '/ck.pth',
                         label_store='/s')
    assert not (tmp_path / 'c.py').exists()


@pytest.mark.e2e
def test_next_job_waits_for_the_run_it_continues(tmp_path):
    root = str(tmp_path)
    s1 = rs.make_job(_row(STAGE1), 0, root, 'hard', '/d', '/src.pth')
    s2 = rs.make_job(_row(STAGE2), 0, root, 'hard', '/d', '/src.pth')
    other = rs.make_job(_row('CBDA 2.2 %'), 0, root, 'hard', '/d', '/src.pth')
    assert rs.next_job([s2, other], [s1]) is other  # stage 1 runs: stage 2 waits
    assert rs.next_job([s2], [s1]) is None
    with pytest.raises(SystemExit, match='which has no finished run .* and none is scheduled'):
        rs.next_job([s2], [])
    with pytest.raises(SystemExit, match='finished without .*iter_300.pth'):
        rs.next_job([s2, other], [], done={s1.work_dir})
    os.makedirs(s1.work_dir, exist_ok=True)
    open(s2.load_from, 'w').close()
    assert rs.next_job([s2, other], [], done={s1.work_dir}) is s2
    # a stage-1 run finished in an earlier call of the benchmark (record.json)
    open(osp.join(s1.work_dir, 'record.json'), 'w').close()
    assert rs.next_job([s2, other], []) is s2


@pytest.mark.e2e
def test_run_jobs_starts_the_chained_job_after_its_input(tmp_path, monkeypatch):
    root = str(tmp_path)
    s1 = rs.make_job(_row(STAGE1), 0, root, 'hard', '/d', '/src.pth')
    s2 = rs.make_job(_row(STAGE2), 0, root, 'hard', '/d', '/src.pth')
    other = rs.make_job(_row('CBDA 2.2 %'), 0, root, 'hard', '/d', '/src.pth')
    started, finished = [], []

    class Done:  # a training that ends at once: writes stage 1's last checkpoint
        def __init__(self, cmd, **kwargs):
            self.pid = len(started) + 1
            started.append(cmd[cmd.index('--work-dir') + 1])
            os.makedirs(started[-1], exist_ok=True)
            open(osp.join(started[-1], 'iter_300.pth'), 'w').close()

    monkeypatch.setattr(rs.subprocess, 'Popen', Done)
    monkeypatch.setattr(rs.os, 'wait4', lambda pid, flags: (pid, 0, Usage()))
    monkeypatch.setattr(rs.time, 'sleep', lambda s: None)
    rs.run_jobs([s2, s1, other], 2, 0, lambda job, m, c: finished.append(job.work_dir))
    # stage 2 waits while stage 1 runs; the free lane takes the next job
    assert started == [s1.work_dir, other.work_dir, s2.work_dir]
    assert finished == started


class Usage:
    ru_utime, ru_stime = 1.0, 0.5


def test_run_record_counts_the_labels_of_the_stores_a_run_read(tmp_path):
    import numpy as np

    from mmada.active.label_store import LabelStore, RoundUpdate
    store = LabelStore(str(tmp_path / 'stage1' / 'active_labels'), num_classes=3)
    labels = np.array([0, 0, 2, 255], dtype=np.uint8)
    store.commit_round(1, {'a.png': RoundUpdate(shape=(2, 4), pixels=np.arange(4),
                                                labels=labels)})
    (tmp_path / 'stage2').mkdir()
    rec = rs.run_record(str(tmp_path / 'stage2'), 1.0, [0], 3,
                        stores=[str(tmp_path / 'stage2' / 'active_labels'),
                                str(tmp_path / 'stage1' / 'active_labels')])
    assert rec['class_counts'] == [2.0, 0.0, 1.0] and rec['labelled'] == 3.0
    assert rs.run_record(str(tmp_path / 'stage2'), 1.0, [0], 3)['labelled'] == 0


@pytest.mark.e2e
def test_a_failed_run_names_the_jobs_that_continue_it(tmp_path, monkeypatch):
    root = str(tmp_path)
    s1 = rs.make_job(_row(STAGE1), 0, root, 'hard', '/d', '/src.pth')
    s2 = rs.make_job(_row(STAGE2), 0, root, 'hard', '/d', '/src.pth')

    class Fails:
        pid = 7

    monkeypatch.setattr(rs.subprocess, 'Popen', lambda cmd, **kw: Fails())
    monkeypatch.setattr(rs.os, 'wait4', lambda pid, flags: (pid, 1 << 8, Usage()))  # exit 1
    monkeypatch.setattr(rs.time, 'sleep', lambda s: None)
    with pytest.raises(SystemExit, match=r'MADAv2 stage 1, 5 % images seed 0 failed; see .*\.log '
                       r'\(not run, they continue it: MADAv2 stage 1 \+ 2 seed 0\)'):
        rs.run_jobs([s2, s1], 2, 0, lambda *a: pytest.fail('nothing finished'))
