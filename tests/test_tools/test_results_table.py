"""Pieces of tools/benchmarks/results_synthetic.py on hand values (no training)."""
import importlib.util
import json
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
    props = dict(classes=list(CLASSES), tail_threshold_percent=0.5, tail_classes=[],
                 pixel_share=dict(target=[5.0] * 19, source=[5.0] * 19),
                 **{k: [1.0] * 19 for k in (
                     'image_share', 'top10_image_share', 'median_component_area',
                     'boundary_fraction', 'colour_shift', 'recall_source_means',
                     'recall_target_means')},
                 difficulty=dict(separability_p10=1.0, separability_p50=2.0,
                                 separability_p90=3.0))
    args = Namespace(out=str(out), preset='hard', jobs=2, nice=15)
    rs.write_report(args, rows, records, list(CLASSES), [0, 1], props, 5.0, 9.0)
    text = out.read_text()
    assert text.startswith('# Results\n\nintro\n')
    assert '## Preset `hard` (partial run)' in text and '**Partial run**' in text
    assert '| random RA 2.2 % | 2.2 % | 2 | 31.00 ± 1.41 |' in text
    assert '<!-- properties-hard:start -->' in text and 'rank correlation' not in text
    assert (tmp_path / 'results_hard.png').exists()
