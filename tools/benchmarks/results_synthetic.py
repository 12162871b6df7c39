"""``make benchmark``: every method on the synthetic benchmark, several seeds, one table.

Protocol (issue 15, item 2): the source-only model is trained once (seed 0);
every other row adapts *that* checkpoint with its own config for each seed,
at the budget its row names, and is evaluated on the same target val. Per
row: mean ± std over seeds of the target mIoU, of the tail-class mIoU (the
rarest third of the classes by target training pixels), of the imbalance
score (CBDA Eq. 4) of the acquired labels, the labelled pixels, the wall time
and the training iterations per second. The goals of item 4 are checked and
written down whatever they show. Output: a marked section of
``docs/results_synthetic.md`` and a figure (mIoU with error bars, per-class
IoU heat map).

Adding a method is one entry in ``ROWS``; a row with ``after`` continues
another row's result instead (MADAv2 stage 2 from stage 1: each seed's run
starts from that row's same-seed checkpoint and reads its label store), and
runs once that run finished. Runs that finished are reused (``record.json``
in their folder), so an interrupted benchmark continues::

    python tools/benchmarks/results_synthetic.py [--preset hard] [--seeds 0 1 2]
        [--only 'random RA 2.2 %' ...] [--jobs 2] [--nice 15] [--out docs/results_synthetic.md]
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from results_table import (aggregate, check_goals, goals_table, nanmean,  # noqa: E402
                           per_class_table, results_table, tail_classes, write_figure)


class Row(NamedTuple):
    """One line of the results table.

    Attributes:
        name: Shown in the table.
        config: Config path relative to the repository root.
        budget: Budget as shown in the table.
        role: Name used by the goal checks (``results_table.check_goals``).
        options: ``{dotted.key: value}`` merged into the config.
        after: Name of the row whose result this row continues: for each
            seed, the last checkpoint of that row's run of the same seed is
            the ``load_from`` and its label store the one the config reads
            (every ``label_store_dir`` of ``train_dataloader``); its labels
            are counted as this row's. Empty: adapt the source-only model.
        scratch: Train from scratch (no ``load_from``): a row whose model
            is not the source-only one (DAFormer's tiny MiT).
    """
    name: str
    config: str
    budget: str
    role: str = ''
    options: dict = {}
    after: str = ''
    scratch: bool = False


_TAIL = 'deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
SOURCE_ONLY = Row('source only',
                  'configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py',
                  '0', 'source')
ROWS = [
    SOURCE_ONLY,
    Row('supervised (all target labels)', f'configs/baselines/supervised_{_TAIL}', '100 %',
        'supervised'),
    Row('AdvEnt (no target label)', f'configs/uda/advent_{_TAIL}', '0', 'uda'),
    # Self-training on a tiny MiT trained from scratch for 900 iterations (the
    # source-only 600 + 300 of the other rows): no ImageNet weights can be
    # downloaded here, so no feature distance (configs/daformer/README.md).
    Row('DAFormer, tiny MiT from scratch (no target label)',
        'configs/daformer/daformer_mit-tiny_1xb2-900_synthetic-128x256.py', '0',
        'self_training', scratch=True),
    Row('random RA 2.2 %', f'configs/baselines/random-ra2.2_{_TAIL}', '2.2 %', 'random_ra'),
    Row('entropy RA 2.2 %', f'configs/baselines/entropy-ra2.2_{_TAIL}', '2.2 %'),
    Row('sconf RA 2.2 %', f'configs/baselines/sconf-ra2.2_{_TAIL}', '2.2 %'),
    Row('RIPU RA 2.2 %', f'configs/ripu/ripu-ra2.2_{_TAIL}', '2.2 %', 'ripu_ra'),
    Row('CBDA 2.2 %', f'configs/cbda/cbda-ra2.2_{_TAIL}', '2.2 %'),
    Row('random PA 40 px', f'configs/baselines/random-pa40_{_TAIL}', '40 px/img', 'random_pa'),
    Row('entropy PA 40 px', f'configs/baselines/entropy-pa40_{_TAIL}', '40 px/img', 'entropy_pa'),
    Row('sconf PA 40 px', f'configs/baselines/sconf-pa40_{_TAIL}', '40 px/img'),
    Row('RIPU PA 40 px', f'configs/ripu/ripu-pa40_{_TAIL}', '40 px/img', 'ripu_pa'),
    Row('point supervision K=10 x 5 pts', f'configs/point_sup/point_sup_{_TAIL}', '50 pts/img'),
    Row('MADAv2 stage 1, 5 % images', f'configs/mada/madav2-img5_{_TAIL}', '15 images'),
    # Stage 2 as shipped (300 iterations) from the stage-1 run of the same seed:
    # no new labels; frozen stage-1 teacher, ACP + ACM, OHEM, soft-anchor loss.
    Row('MADAv2 stage 1 + 2', f'configs/madav2/madav2-stage2-img5_{_TAIL}',
        '15 images (stage 1)', after='MADAv2 stage 1, 5 % images'),
    Row('ADA-MCU 2.2 % (online)', f'configs/ada_mcu/ada-mcu-2.2pct_{_TAIL}', '2.2 %'),
    Row('RIPU RA 10 %', f'configs/ripu/ripu-ra2.2_{_TAIL}', '10 %', 'ra10',
        {'active_learning.budget.value': 0.10}),
    Row('CBDA 10 %', f'configs/cbda/cbda-ra2.2_{_TAIL}', '10 %', 'cbda10',
        {'active_learning.budget.value': 0.10}),
    Row('RIPU RA 20 %', f'configs/ripu/ripu-ra2.2_{_TAIL}', '20 %', 'ra20',
        {'active_learning.budget.value': 0.20}),
    Row('CBDA 20 %', f'configs/cbda/cbda-ra2.2_{_TAIL}', '20 %', 'cbda20',
        {'active_learning.budget.value': 0.20}),
]
BENCH_ROOTS = {'default': 'data/synthetic', 'hard': 'data/synthetic_hard'}
STORE_DIRNAME = 'active_labels'  # mmada.engine.runner.active_loop: <work_dir>/active_labels


def chain(row: Row, rows: List[Row]) -> List[Row]:
    """The rows ``row`` continues, nearest first (empty when it adapts source only).

    Args:
        row: A row of ``rows``.
        rows: Every row (``ROWS``, or the demo's rows).

    Returns:
        list: The named row, the row that one names, and so on.

    Raises:
        SystemExit: A named row is missing, or the names loop.
    """
    by_name = {r.name: r for r in rows}
    out, seen = [], {row.name}
    while row.after:
        if row.after not in by_name:
            raise SystemExit(f'row {row.name!r} continues {row.after!r}, which is no row '
                             f'(rows: {sorted(by_name)}); fix its after=')
        if row.after in seen:
            raise SystemExit(f'rows {sorted(seen)} continue each other in a loop; fix after=')
        row = by_name[row.after]
        seen.add(row.name)
        out.append(row)
    return out


def with_chains(selected: List[Row], rows: List[Row]) -> List[Row]:
    """``selected`` plus every row they continue, in the order of ``rows``."""
    names = {r.name for r in selected}
    for row in selected:
        names.update(r.name for r in chain(row, rows))
    return [r for r in rows if r.name in names]


def last_checkpoint(row: Row, work_dir: str) -> str:
    """The checkpoint a finished run of ``row`` ends with (``iter_<max_iters>.pth``)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, row.config))
    if row.options:
        cfg.merge_from_dict(dict(row.options))
    return osp.join(work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')


def read_label_store(cfg, store: str) -> int:
    """Point every ``label_store_dir`` of ``cfg.train_dataloader`` at ``store``.

    Args:
        cfg: A loaded config (changed in place).
        store: Label store folder of the run a chained row continues.

    Returns:
        int: Number of datasets changed.
    """
    count = 0
    for d in _walk_dicts(cfg._cfg_dict.get('train_dataloader', {})):
        if d.get('label_store_dir'):
            d['label_store_dir'] = store
            count += 1
    return count


def slug(name: str) -> str:
    """Folder name of a row."""
    return ''.join(ch if ch.isalnum() else '-' for ch in name.lower()).strip('-')


def _walk_dicts(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk_dicts(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _walk_dicts(v)


def derive_config(row: Row, out_path: str, preset: str, bench_root: str, seed: int,
                  load_from: Optional[str], num_classes: int = 19,
                  label_store: Optional[str] = None, made_by: str = '') -> str:
    """Write the config of one run: the row's config on the chosen benchmark.

    Every ``SyntheticCityscapesDataset`` gets ``bench_root`` and the preset;
    the seed, the starting checkpoint and the row's options are set; a
    chained row reads ``label_store``; the evaluator also reports each
    class's IoU (``IoU-00`` ... as one-class subsets of ``SubsetIoUMetric``).

    Args:
        row: The table row.
        out_path: Where the config is written.
        preset: Synthetic preset (``'default'`` or ``'hard'``).
        bench_root: Folder of that benchmark.
        seed: ``randomness.seed``.
        load_from: Checkpoint to start from (source only, or the last one
            of the run a chained row continues), ``None`` for source only.
        num_classes: Classes of the benchmark.
        label_store: For a row with ``after``: the label store of the run it
            continues (its config must read one, ``label_store_dir``).
        made_by: What makes ``load_from`` (``load_from_made_by``, shown by
            ``tools/train.py`` when it is missing).

    Returns:
        str: ``out_path``.

    Raises:
        SystemExit: ``label_store`` is given and the config reads no store.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, row.config))
    for d in _walk_dicts(cfg._cfg_dict):
        if str(d.get('type', '')).endswith('SyntheticCityscapesDataset'):
            d['bench_root'] = bench_root
            d['generator'] = dict(d.get('generator') or {}, preset=preset)
    if row.options:
        cfg.merge_from_dict(dict(row.options))
    if label_store is not None and not read_label_store(cfg, label_store):
        raise SystemExit(f'row {row.name!r} continues {row.after!r} and so reads its label '
                         f'store, but {row.config} has no label_store_dir in train_dataloader: '
                         'give its target dataset one (as configs/madav2/madav2-stage2-*.py)')
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.load_from = load_from
    if made_by:
        cfg.load_from_made_by = made_by
    evaluator = dict(type='SubsetIoUMetric', iou_metrics=['mIoU'],
                     class_subsets={f'IoU-{c:02d}': [c] for c in range(num_classes)})
    cfg.val_evaluator = evaluator
    cfg.test_evaluator = evaluator
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    cfg.dump(out_path)
    return out_path


def read_scalars(work_dir: str) -> tuple:
    """Last validation metrics and the mean training seconds per iteration."""
    metrics, times = {}, []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'mIoU' in rec:
                    metrics = rec
                elif 'time' in rec:
                    times.append(rec['time'])
    return metrics, (sum(times) / len(times) if times else float('nan'))


def run_record(work_dir: str, minutes: float, tail: List[int], num_classes: int,
               supervised_counts=None, stores: Optional[List[str]] = None) -> dict:
    """What the table needs from one finished run.

    Args:
        work_dir: The run's work dir.
        minutes: Its wall time.
        tail: Tail classes.
        num_classes: Classes of the benchmark.
        supervised_counts: Class counts of every target label (supervised).
        stores: Label stores whose labels the run trained with (their class
            counts are summed); default: ``<work_dir>/active_labels``. A
            chained row adds the stores of the runs it continues.

    Returns:
        dict: mIoU, per-class IoU, tail mIoU, imbalance, labelled pixels,
        minutes, iterations per second and class counts.
    """
    import numpy as np
    import torch

    from mmada.active.cbda import imbalance_score
    from mmada.active.label_store import LabelStore
    metrics, sec_per_iter = read_scalars(work_dir)
    per_class = [float(metrics.get(f'IoU-{c:02d}', float('nan'))) for c in range(num_classes)]
    counts = None
    for store in stores or [osp.join(work_dir, STORE_DIRNAME)]:
        if LabelStore.exists(store):
            found = np.asarray(LabelStore(store).class_counts()[:num_classes], dtype=np.float64)
            counts = found if counts is None else counts + found
    if counts is None and supervised_counts is not None:
        counts = supervised_counts
    labelled = float(sum(counts)) if counts is not None else 0.0
    imbalance = (imbalance_score(torch.as_tensor(counts, dtype=torch.float64))
                 if counts is not None and labelled > 0 else float('nan'))
    return dict(mIoU=float(metrics.get('mIoU', float('nan'))), per_class=per_class,
                tail_mIoU=nanmean([per_class[c] for c in tail]), imbalance=imbalance,
                labelled=labelled, minutes=minutes, it_per_s=1.0 / sec_per_iter,
                class_counts=None if counts is None else [float(v) for v in counts])


class Job(NamedTuple):
    """One training: a row at a seed.

    Attributes:
        row: The table row.
        seed: ``randomness.seed``.
        work_dir: Its work dir.
        config: Its derived config.
        needs: Work dir of the run it continues (a row with ``after``): it
            starts once that run finished (``record.json``).
        load_from: The checkpoint it starts from (checked before it starts).
    """
    row: Row
    seed: int
    work_dir: str
    config: str
    needs: str = ''
    load_from: str = ''


def _finished(work_dir: str) -> bool:
    return osp.exists(osp.join(work_dir, 'record.json'))


def next_job(pending: List[Job], running: List[Job], done=()) -> Optional[Job]:
    """The first pending job whose input run finished (``None``: all wait).

    Args:
        pending: Jobs not started, in order.
        running: Jobs running now.
        done: Work dirs of the runs finished so far (besides those with a
            ``record.json``).

    Returns:
        Job or None: The job to start now.

    Raises:
        SystemExit: A job continues a run that is neither finished, running
            nor pending, or its checkpoint is missing although that run
            finished.
    """
    scheduled = {j.work_dir for j in pending + running}
    for job in pending:
        if not job.needs:
            return job
        if job.needs in done or _finished(job.needs):
            if job.load_from and not osp.exists(job.load_from):
                raise SystemExit(
                    f'[benchmark] {job.row.name} seed {job.seed} continues {job.row.after!r}, '
                    f'whose run {job.needs} finished without {job.load_from}: delete its '
                    'record.json to train it again')
            return job
        if job.needs not in scheduled:
            raise SystemExit(
                f'[benchmark] {job.row.name} seed {job.seed} continues {job.row.after!r}, '
                f'which has no finished run in {job.needs} and none is scheduled: run that row '
                f'too (--only {job.row.after!r} {job.row.name!r})')
    return None


def run_jobs(jobs: List[Job], parallel: int, nice: int, finish) -> None:
    """Train ``jobs`` with ``tools/train.py``, ``parallel`` at a time (1 thread each).

    Jobs start in order; one that continues another run (``needs``) waits
    until that run finished and the next startable job takes its place.
    ``finish(job, minutes, cpu_minutes)`` is called as each one ends (wall
    and CPU minutes of the training process) and writes its ``record.json``;
    a failed run stops the others and exits with the path of its log (and
    the jobs that would have continued it).
    """
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    pending, running, done = list(jobs), [], set()
    while pending or running:
        while len(running) < parallel:
            job = next_job(pending, [item[0] for item in running], done)
            if job is None:
                break
            pending.remove(job)
            cmd = ([] if nice <= 0 else ['nice', '-n', str(nice)]) + [
                sys.executable, osp.join(ROOT, 'tools/train.py'), job.config,
                '--work-dir', job.work_dir]
            log = open(job.work_dir + '.log', 'w')
            print(f'[benchmark] start {job.row.name} seed {job.seed}', flush=True)
            running.append((job, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                                  cwd=ROOT, env=env), log, time.time()))
        time.sleep(2)
        for item in list(running):
            job, proc, log, start = item
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == 0:
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)
            running.remove(item)
            log.close()
            if proc.returncode != 0:
                for other in running:
                    other[1].kill()
                waiting = [f'{j.row.name} seed {j.seed}' for j in pending
                           if j.needs == job.work_dir]
                raise SystemExit(f'[benchmark] {job.row.name} seed {job.seed} failed; '
                                 f'see {log.name}'
                                 + (f' (not run, they continue it: {", ".join(waiting)})'
                                    if waiting else ''))
            finish(job, (time.time() - start) / 60, (usage.ru_utime + usage.ru_stime) / 60)
            done.add(job.work_dir)


def _save_json(path: str, obj) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def _commit() -> str:
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--preset', default='hard', choices=sorted(BENCH_ROOTS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--only', nargs='*',
                        help='row names to run (with source only and the rows they continue)')
    parser.add_argument('--jobs', type=int, default=2, help='trainings at the same time')
    parser.add_argument('--nice', type=int, default=0, help='niceness of the trainings')
    parser.add_argument('--work-root', default=osp.join(ROOT, 'work_dirs', 'benchmark'))
    parser.add_argument('--out', default=osp.join(ROOT, 'docs', 'results_synthetic.md'))
    parser.add_argument('--readme', default=osp.join(ROOT, 'README.md'),
                        help="README whose 'results-synthetic-readme' section a complete run "
                        "of the hard preset replaces ('' for none)")
    parser.add_argument('--report-only', action='store_true',
                        help='train nothing: write the report from the finished runs')
    args = parser.parse_args()
    unknown = set(args.only or ()) - {r.name for r in ROWS}
    if unknown:
        raise SystemExit(f'--only: unknown rows {sorted(unknown)}; rows are '
                         f'{[r.name for r in ROWS]}')
    rows = select_rows(args.only)
    start = time.time()
    props, bench_root = prepare_benchmark(args.preset)
    classes, share = props['classes'], props['pixel_share']['target']
    tail = tail_classes(share)
    work_root = osp.join(args.work_root, args.preset)
    records: Dict[str, Dict[int, dict]] = {r.name: {} for r in rows}
    total_px = _target_train_pixels(bench_root)

    def finish(job: Job, minutes: float, cpu_minutes: float) -> None:
        sup = ([s / 100 * total_px for s in share] if job.row.role == 'supervised' else None)
        rec = run_record(job.work_dir, minutes, tail, len(classes), sup,
                         label_stores(job.row, job.work_dir, work_root, job.seed))
        rec['cpu_minutes'] = cpu_minutes
        _save_json(osp.join(job.work_dir, 'record.json'), rec)
        records[job.row.name][job.seed] = rec
        print(f'[benchmark] done {job.row.name} seed {job.seed}: mIoU {rec["mIoU"]:.2f}, '
              f'tail {rec["tail_mIoU"]:.2f}, {minutes:.1f} min', flush=True)

    def jobs_for(selected: List[Row], seeds: List[int], load_from: Optional[str]) -> List[Job]:
        out = []  # seed-major: a run stopped early still covers every row
        for seed in seeds:
            for row in selected:
                work_dir = run_dir(work_root, row, seed)
                done = osp.join(work_dir, 'record.json')
                if osp.exists(done):
                    with open(done) as f:
                        records[row.name][seed] = json.load(f)
                    continue
                out.append(make_job(row, seed, work_root, args.preset, bench_root, load_from,
                                    len(classes)))
        return out

    adapted = [r for r in rows if r is not SOURCE_ONLY]
    if args.report_only:
        for row in rows:
            for seed in ([0] if row is SOURCE_ONLY else args.seeds):
                done = osp.join(work_root, slug(row.name), f'seed{seed}', 'record.json')
                if osp.exists(done):
                    with open(done) as f:
                        records[row.name][seed] = json.load(f)
    else:
        run_jobs(jobs_for([SOURCE_ONLY], [0], None), 1, args.nice, finish)
        ckpts = glob.glob(osp.join(work_root, slug(SOURCE_ONLY.name), 'seed0', 'iter_*.pth'))
        ckpt = max(ckpts, key=lambda p: int(p.rsplit('_', 1)[1].split('.')[0]))
        run_jobs(jobs_for(adapted, args.seeds, ckpt), args.jobs, args.nice, finish)
    minutes = sum(r['minutes'] for recs in records.values() for r in recs.values())
    cpu = sum(r.get('cpu_minutes', float('nan')) for recs in records.values()
              for r in recs.values())
    write_report(args, rows, records, classes, tail, props, (time.time() - start) / 60,
                 minutes, cpu)


def run_dir(work_root: str, row: Row, seed: int) -> str:
    """Work dir of one run: ``<work_root>/<slug of the row>/seed<seed>``."""
    return osp.join(work_root, slug(row.name), f'seed{seed}')


def label_stores(row: Row, work_dir: str, work_root: str, seed: int) -> List[str]:
    """The label stores a run trained with: its own and, for a chained row,
    those of the same-seed runs it continues."""
    return [osp.join(work_dir, STORE_DIRNAME)] + [
        osp.join(run_dir(work_root, r, seed), STORE_DIRNAME) for r in chain(row, ROWS)]


def make_job(row: Row, seed: int, work_root: str, preset: str, bench_root: str,
             source_ckpt: Optional[str], num_classes: int = 19) -> Job:
    """The job of ``row`` at ``seed`` with its derived config written.

    A row with ``after`` starts from the last checkpoint of that row's run of
    the same seed and reads its label store; any other row from
    ``source_ckpt``.

    Args:
        row: The table row.
        seed: ``randomness.seed``.
        work_root: Folder of the preset's runs.
        preset: Synthetic preset.
        bench_root: Folder of that benchmark.
        source_ckpt: The source-only checkpoint.
        num_classes: Classes of the benchmark.

    Returns:
        Job: With ``needs`` and ``load_from`` set for a chained row.
    """
    work_dir = run_dir(work_root, row, seed)
    out = osp.join(work_dir + '.config', osp.basename(row.config))
    if not row.after:
        cfg = derive_config(row, out, preset, bench_root, seed,
                            None if row.scratch else source_ckpt, num_classes)
        return Job(row, seed, work_dir, cfg)
    prev = chain(row, ROWS)[0]
    prev_dir = run_dir(work_root, prev, seed)
    ckpt = last_checkpoint(prev, prev_dir)
    cfg = derive_config(row, out, preset, bench_root, seed, ckpt, num_classes,
                        label_store=osp.join(prev_dir, STORE_DIRNAME),
                        made_by=f'the {prev.name!r} row of tools/benchmarks/results_synthetic.py '
                        f'(seed {seed})')
    return Job(row, seed, work_dir, cfg, needs=prev_dir, load_from=ckpt)


def select_rows(only: Optional[List[str]]) -> List[Row]:
    """The rows to run: ``only`` (every row when empty), the rows they
    continue and source only, in table order."""
    picked = [r for r in ROWS if r is SOURCE_ONLY or not only or r.name in only]
    return with_chains(picked, ROWS)


def prepare_benchmark(preset: str) -> tuple:
    """Generate the benchmark when needed; its properties and root."""
    from mmada.datasets.synthetic import (SyntheticConfig, generate_benchmark,
                                          measure_properties)
    bench_root = osp.join(ROOT, BENCH_ROOTS[preset])
    generate_benchmark(bench_root, SyntheticConfig(preset=preset))
    path = osp.join(bench_root, 'properties.json')
    if not osp.exists(path):  # generated before properties were measured
        _save_json(path, measure_properties(bench_root))
    with open(path) as f:
        return json.load(f), bench_root


def _target_train_pixels(bench_root: str) -> int:
    with open(osp.join(bench_root, 'meta.json')) as f:
        meta = json.load(f)
    return meta['num_images']['target']['train'] * meta['height'] * meta['width']


def write_report(args, rows: List[Row], records, classes, tail, props, wall_minutes: float,
                 run_minutes: float, cpu_minutes: float = float('nan')) -> None:
    """The marked sections of ``--out`` (results, properties) and the figure."""
    runs = {r.name: [records[r.name][s] for s in sorted(records[r.name])] for r in rows}
    agg = aggregate(runs)
    roles = {r.role: r.name for r in ROWS if r.role}
    active = [r.name for r in rows
              if r.role not in ('source', 'supervised', 'uda', 'self_training')]
    goals = check_goals(agg, dict(roles, uda=roles.get('uda', ''), active=active))
    complete = len(rows) == len(ROWS) and all(
        len(runs[r.name]) >= (1 if r is SOURCE_ONLY else 3) for r in rows)
    figure = write_figure(agg, classes, tail, osp.splitext(args.out)[0] + f'_{args.preset}.png')
    mark = f'results-synthetic-{args.preset}'
    stamp = (f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, commit {_commit()}, '
             f'{machine()}')
    table = results_table(agg, {r.name: r.budget for r in rows})
    section = '\n'.join([
        f'<!-- {mark}:start -->',
        f'## Preset `{args.preset}`' + ('' if complete else ' (partial run)'),
        '',
        f'{stamp}; '
        + ('report written from finished runs (`--report-only`), '
           if getattr(args, 'report_only', False) else
           f'{args.jobs} training(s) at a time (niceness {args.nice}), '
           f'{wall_minutes:.0f} min wall time, ')
        + f'{run_minutes:.0f} training-minutes in all (sum over runs; '
        f'{cpu_minutes:.0f} CPU minutes, so {cpu_minutes / 2:.0f} min on two idle cores); '
        f'target val of `{BENCH_ROOTS[args.preset]}`; source only '
        f'trained once (seed 0), every other row adapts its checkpoint (300 iterations)'
        + ''.join(f'; {r.name} continues the {r.after} run of the same seed (its last '
                  'checkpoint and its label store, whose pixels its labelled-px column counts)'
                  for r in rows if r.after) + '. '
        f'Tail classes (rarest third of the target training pixels): '
        f'{", ".join(classes[c] for c in tail)}.'
        + ('' if complete else ' **Partial run**: not every row has 3 seeds (see the '
           'seeds column); the goals below are measured on what ran.'),
        '',
        table,
        '',
        'Goals:',
        '',
        goals_table(goals),
        '',
        f'![mIoU and per-class IoU]({osp.relpath(figure, osp.dirname(args.out))})',
        '',
        'Per-class IoU (mean over seeds; * = tail class):',
        '',
        per_class_table(agg, classes, tail),
        f'<!-- {mark}:end -->',
    ])
    write_section(args.out, section, mark)
    write_section(args.out, properties_section(args.preset, props), f'properties-{args.preset}')
    readme = getattr(args, 'readme', '')
    if readme and complete and args.preset == 'hard':
        write_section(readme, readme_section(stamp, goals, figure, readme),
                      'results-synthetic-readme')
    print(section)


def readme_section(stamp: str, goals: List[dict], figure: str, readme: str) -> str:
    """The README's front-page summary of a complete ``hard`` run.

    The per-method numbers are in the README's supported-methods table
    (copied, and checked by ``tests/test_docs_consistency.py``); this
    section gives the run's date and machine, the goal count and the figure.

    Args:
        stamp: Date, commit and machine of the report.
        goals: Output of ``check_goals``.
        figure: Path of the figure.
        readme: Path of the README (links are made relative to it).

    Returns:
        str: The section framed by ``results-synthetic-readme`` marks.
    """
    held = [g for g in goals if g['holds'] is True]
    failed = [g for g in goals if g['holds'] is False]
    rel = osp.relpath(figure, osp.dirname(osp.abspath(readme)))
    mark = 'results-synthetic-readme'
    return '\n'.join([
        f'<!-- {mark}:start -->',
        'Written by `tools/benchmarks/results_synthetic.py` from its latest complete run, '
        f'{stamp}: Goals: {len(held)} hold, {len(failed)} do not'
        + (' (' + '; '.join(g['goal'] for g in failed) + ')' if failed else '') + '.',
        '',
        f'![mIoU and per-class IoU]({rel})',
        f'<!-- {mark}:end -->',
    ])


def properties_section(preset: str, props: dict) -> str:
    """The measured properties of the benchmark, as the generator prints them."""
    from mmada.datasets.synthetic import format_properties
    mark = f'properties-{preset}'
    return '\n'.join([
        f'<!-- {mark}:start -->',
        f'### Measured properties of the `{preset}` preset',
        '',
        'Printed by the generator (`python -m mmada.datasets.synthetic --preset '
        f'{preset}`); columns: pixel share in the target and source training sets, share of '
        'target images containing the class, share of its pixels in the 10 % of images with '
        'the most of it, median connected-component area (px), fraction of its pixels on a '
        'class boundary, distance of its mean colour between domains, recall on target val '
        'of a nearest-mean colour classifier with the source / the target means '
        '(`mmada/datasets/synthetic/properties.py`).',
        '',
        '```',
        format_properties(props),
        '```',
        f'<!-- {mark}:end -->',
    ])


if __name__ == '__main__':
    main()
