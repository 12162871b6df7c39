"""The embedded synthetic benchmark, end to end, with a readable results table.

``make demo`` runs this: it generates the ``hard`` benchmark when missing,
trains the source-only model once, adapts its checkpoint with one method of
every family (``tools/train.py``, one subprocess each, as a user would), with
the configs and protocol of ``make benchmark`` (``tools/benchmarks/
results_synthetic.py``: the same rows, one seed), and prints for each row the
target-val mIoU next to the benchmark's 3-seed mean, the labels it spent
(pixels, or points for point supervision; percent of the target training
pixels) and its wall and CPU time. The table's header gives the measured wall
time and the CPU time, and from them the time on two idle cores. A row with
``after`` continues another row's result instead of the source-only model
(MADAv2 stage 2 from stage 1: that run's last checkpoint and its label store)
and starts once that row finished; an ``extra`` row runs only when ``--only``
names it.
"""
import os.path as osp
import sys

# Run as `python tools/X.py`, Python puts tools/ first on sys.path, where
# tools/select.py would shadow the standard library's `select`: use the
# repository root instead (which also makes `mmada` importable).
sys.path[0] = osp.dirname(osp.dirname(osp.abspath(__file__)))
import argparse
import glob
import json
import os
import re
import resource
import subprocess
import time
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# The method families `make demo` shows, in table order.
FAMILIES = ('source only', 'UDA', 'random', 'RIPU', 'CBDA', 'MADAv2', 'ADA-MCU',
            'point supervision', 'supervised')


class Row(NamedTuple):
    """One row of the demo table.

    Attributes:
        name: Shown in the table.
        family: One of ``FAMILIES``.
        config: Config path relative to the repository root.
        budget: The budget as the config states it (shown next to the
            pixels it amounted to).
        optional: Skip the row (and say so) when ``config`` is not in this
            checkout, for a method whose configs land later.
        after: Name of the row whose result this row continues: that run's
            last checkpoint is the ``load_from``, its label store the one
            the config reads (every ``label_store_dir`` of
            ``train_dataloader``), and its labels count as this row's. The
            row starts once that row finished. Empty: adapt source only.
        options: ``{dotted.key: value}`` merged into the config.
        note: Printed under the table (what the row adds).
        extra: Not in the default set: runs only when ``--only`` names it.
    """
    name: str
    family: str
    config: str
    budget: str
    optional: bool = False
    after: str = ''
    options: dict = {}
    note: str = ''
    extra: bool = False


_TAIL = 'deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
# Source only trains first (600 iterations); every other row adapts its
# checkpoint for 300 iterations (the papers pre-train on source too), as the row
# of the same name in `make benchmark` (tools/benchmarks/results_synthetic.py)
# does. AdvEnt aligns without any target label; the region methods label 2.2 %
# of the target training pixels in 3x3 squares over 5 rounds; MADAv2 labels 15
# whole images (5 % of the pool) before the first step (stage 1); ADA-MCU (the
# full model: online acquisition, contrastive units, DCCM) acquires 2.2 % of the
# target pixels online, during training. Three extra rows run only when named
# (`--only NAME ...`), to keep the default set within 10 minutes on 2 idle
# cores: MADAv2 stage 2 (300 iterations on stage 1's run), point supervision
# (5 points in each of the 10 most uncertain 16x16 patches of every image, on an
# AdvEnt training: one of the two most expensive rows) and the supervised upper
# bound (every target label; its 3-seed number is in `make benchmark`'s table).
METHODS = [
    Row('source only', 'source only',
        'configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py', '0'),
    Row('AdvEnt (no target label)', 'UDA', f'configs/uda/advent_{_TAIL}', '0'),
    Row('random RA 2.2 %', 'random', f'configs/baselines/random-ra2.2_{_TAIL}', '2.2 % px'),
    Row('RIPU RA 2.2 %', 'RIPU', f'configs/ripu/ripu-ra2.2_{_TAIL}', '2.2 % px'),
    Row('CBDA 2.2 %', 'CBDA', f'configs/cbda/cbda-ra2.2_{_TAIL}', '2.2 % px'),
    Row('MADAv2 stage 1, 5 % images', 'MADAv2', f'configs/mada/madav2-img5_{_TAIL}',
        '15 images'),
    Row('MADAv2 stage 1 + 2', 'MADAv2', f'configs/madav2/madav2-stage2-img5_{_TAIL}',
        '15 images (stage 1)', after='MADAv2 stage 1, 5 % images', extra=True,
        note='stage 2 (300 iterations) continues the stage-1 row: its checkpoint and its 15 '
        'labelled images (stage 2 buys no label); it adds pseudo labels of the frozen stage-1 '
        'model on the unlabelled target images, adaptive copy-paste and cutmix, OHEM and the '
        'soft-anchor loss (k-means target anchors from stage 1); its minutes are stage 2 alone '
        '(add the stage-1 row for both)'),
    Row('ADA-MCU 2.2 % (online)', 'ADA-MCU', f'configs/ada_mcu/ada-mcu-2.2pct_{_TAIL}',
        '2.2 % px', optional=True),
    Row('point supervision K=10 x 5 pts', 'point supervision',
        f'configs/point_sup/point_sup_{_TAIL}', '50 pts/img', extra=True),
    Row('supervised (all target labels)', 'supervised',
        f'configs/baselines/supervised_{_TAIL}', '100 %', extra=True),
]
SOURCE_ONLY = METHODS[0]
HISTOGRAM_RUNS = ('RIPU RA 2.2 %', 'CBDA 2.2 %')
CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')
BENCH_ROOTS = {'default': osp.join(ROOT, 'data', 'synthetic'),
               'hard': osp.join(ROOT, 'data', 'synthetic_hard')}
DEFAULT_PRESET = 'hard'
BENCH_ROOT = BENCH_ROOTS[DEFAULT_PRESET]
POLL_S = 1.0  # run_all looks for finished trainings this often
RESULTS_DOC = osp.join(ROOT, 'docs', 'results_synthetic.md')  # make benchmark's tables
README = osp.join(ROOT, 'README.md')


def last_metrics(work_dir: str) -> dict:
    """Final validation metrics of a run (from MMEngine's scalars.json)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    metrics = {}
    for path in files:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'mIoU' in rec:
                    metrics = rec
    return metrics


def work_dir_of(config: str, work_root: str) -> str:
    return osp.join(work_root, osp.splitext(osp.basename(config))[0])


def _rs():
    """``tools/benchmarks/results_synthetic.py``, whose config derivation and
    row chains the demo shares."""
    saved = list(sys.path)  # it puts tools/benchmarks on the path while it imports
    sys.path.insert(0, osp.join(ROOT, 'tools', 'benchmarks'))
    try:
        import results_synthetic as rs
    finally:
        sys.path[:] = saved
    return rs


def chain(row: Row) -> List[Row]:
    """The rows ``row`` continues (``Row.after``), nearest first."""
    return _rs().chain(row, METHODS)


def derive_config(row: Row, work_root: str, preset: str, seed: int,
                  load_from: Optional[str], label_store: Optional[str] = None,
                  made_by: str = '') -> str:
    """The config one row trains: the row's config on the chosen preset.

    Written next to the work dir by ``make benchmark``'s ``derive_config``
    (every synthetic dataset on ``preset``, ``randomness.seed``, the
    starting checkpoint as ``load_from``, the row's options, per-class IoU in
    the metrics; a chained row's ``label_store_dir``).

    Args:
        row: The table row.
        work_root: Folder of the work dirs.
        preset: Synthetic preset, a key of ``BENCH_ROOTS``.
        seed: ``randomness.seed`` of the run.
        load_from: Source-only checkpoint, or for a row with ``after`` the
            last checkpoint of that row's run; ``None`` for source only.
        label_store: For a row with ``after``: that run's label store.
        made_by: What makes ``load_from`` (shown if it is missing).

    Returns:
        str: Path of the written config.
    """
    rs = _rs()
    out = osp.join(work_dir_of(row.config, work_root) + '.config', osp.basename(row.config))
    return rs.derive_config(
        rs.Row(row.name, row.config, row.budget, options=row.options, after=row.after), out,
        preset, BENCH_ROOTS[preset], seed, load_from, label_store=label_store, made_by=made_by)


def start_point(row: Row, work_root: str) -> Tuple[str, Optional[str]]:
    """The checkpoint a row starts from and the label store it reads.

    Args:
        row: An adapted row.
        work_root: Folder of the work dirs.

    Returns:
        tuple: (source-only checkpoint, ``None``), or for a row with
        ``after`` (last checkpoint of that row's run, its label store).
    """
    rs = _rs()
    if not row.after:
        return rs.last_checkpoint(SOURCE_ONLY, work_dir_of(SOURCE_ONLY.config, work_root)), None
    prev = chain(row)[0]
    prev_dir = work_dir_of(prev.config, work_root)
    return rs.last_checkpoint(prev, prev_dir), osp.join(prev_dir, rs.STORE_DIRNAME)


def target_train_pixels(bench_root: str = BENCH_ROOT) -> int:
    """Pixels of the target training images (the 100 % of the percent column)."""
    with open(osp.join(bench_root, 'meta.json')) as f:
        meta = json.load(f)
    return meta['num_images']['target']['train'] * meta['height'] * meta['width']


def labels_spent(row: Row, work_dir: str, total_pixels: int,
                 stores: Sequence[str] = ()) -> int:
    """Target pixels labelled by the oracle in a finished run.

    Read from the label stores the run trained with (queried pixels, void
    answers included: the points of point supervision, every pixel of
    MADAv2's images); pseudo labels are not counted. Supervised spends every
    target training pixel, source only and UDA none.

    Args:
        row: The table row.
        work_dir: Work dir of the run (its own store: ``active_labels``).
        total_pixels: Pixels of the target training set.
        stores: Further stores it read: those of the runs a chained row
            continues (stage 2 counts stage 1's images).

    Returns:
        int: Labelled pixels.
    """
    from mmada.active.label_store import LabelStore
    if row.family == 'supervised':
        return total_pixels
    roots = [osp.join(work_dir, 'active_labels')] + list(stores)
    return sum(int(LabelStore(root).budget_spent()['pixels']) for root in roots
               if LabelStore.exists(root))


def _wait(proc: subprocess.Popen) -> Optional[float]:
    """CPU seconds (user + system, children included) of a finished process,
    ``None`` while it runs; sets ``proc.returncode``."""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def next_row(pending: Sequence[Tuple[Row, str]], running: Sequence[str],
             done: Iterable[str], work_root: str) -> Optional[Tuple[Row, str]]:
    """The first pending row that can start (``None``: every one waits).

    A row with ``after`` starts once that row finished (in this call or an
    earlier run kept by ``--reuse``) and its last checkpoint is there.

    Args:
        pending: (row, config file) pairs not started, in start order.
        running: Names of the rows running now.
        done: Names of the finished rows.
        work_root: Folder of the work dirs.

    Returns:
        tuple or None: The (row, config) to start.

    Raises:
        SystemExit: The row it continues did not run and will not, or
            finished without its last checkpoint.
    """
    done, waiting = set(done), {r.name for r, _ in pending} | set(running)
    for item in pending:
        row = item[0]
        if not row.after:
            return item
        if row.after in done:
            ckpt, _ = start_point(row, work_root)
            if not osp.exists(ckpt):
                raise SystemExit(f'[demo] {row.name} continues the {row.after!r} row, whose run '
                                 f'has no {ckpt}: train that row again (drop --reuse)')
            return item
        if row.after not in waiting:
            raise SystemExit(f'[demo] {row.name} continues the {row.after!r} row, which has '
                             'not run and is not scheduled: run both (--only '
                             f'{row.after!r} {row.name!r})')
    return None


def start_order(methods: Sequence[Tuple[Row, str]]) -> List[Tuple[Row, str]]:
    """Rows that others continue first (so those start early), else in order."""
    continued = {row.after for row, _ in methods}
    return sorted(methods, key=lambda item: item[0].name not in continued)


def run_all(methods: Sequence[Tuple[Row, str]], work_root: str, jobs: int,
            done: Iterable[str] = ()) -> Dict[str, dict]:
    """Train every method, ``jobs`` at a time, one thread each.

    Args:
        methods: (row, config file) pairs to train.
        work_root: Folder of the work dirs.
        jobs: Trainings at the same time.
        done: Rows finished before (kept by ``--reuse``) that chained rows
            may continue.

    Returns:
        dict: Final metrics plus ``minutes`` (wall) and ``cpu_minutes`` per
        row name, in the order of ``methods``.
    """
    # One thread per training: small models scale better over processes than
    # threads, and on a busy machine two threads per run wait for each other.
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    pending, running, results = start_order(methods), [], {}
    while pending or running:
        while len(running) < jobs:
            item = next_row(pending, [r[0].name for r in running], set(done) | set(results),
                            work_root)
            if item is None:
                break
            pending.remove(item)
            row, config = item
            work_dir = work_dir_of(row.config, work_root)
            cmd = [sys.executable, osp.join(ROOT, 'tools/train.py'), config,
                   '--work-dir', work_dir]
            print(f'[demo] start {row.name}: {" ".join(cmd[1:])}', flush=True)
            log = open(work_dir + '.log', 'w')
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env=env)
            running.append((row, work_dir, proc, log, time.time()))
        time.sleep(POLL_S)
        for item in list(running):
            row, work_dir, proc, log, start = item
            cpu = _wait(proc)
            if cpu is None:
                continue
            running.remove(item)
            log.close()
            if proc.returncode != 0:
                for other in running:
                    other[2].kill()
                waiting = [r.name for r, _ in pending if row.name in (c.name for c in chain(r))]
                raise SystemExit(f'[demo] {row.name} failed; see {log.name}'
                                 + (f' (not run, they continue it: {", ".join(waiting)})'
                                    if waiting else ''))
            metrics = last_metrics(work_dir)
            metrics.update(minutes=(time.time() - start) / 60, cpu_minutes=cpu / 60,
                           work_dir=work_dir)
            results[row.name] = metrics
            print(f'[demo] done {row.name}: mIoU {metrics.get("mIoU", float("nan")):.2f} '
                  f'in {metrics["minutes"]:.1f} min ({metrics["cpu_minutes"]:.1f} CPU min)',
                  flush=True)
    return {row.name: results[row.name] for row, _ in methods if row.name in results}


def draw_histograms(work_root: str, methods: Sequence[Row], bench_root: str) -> str:
    """Class histogram of the labels acquired by RA versus CBDA."""
    from mmada.active.label_store import LabelStore
    from mmada.datasets.synthetic import NUM_CLASSES
    from mmada.visualization import draw_class_histogram
    counts = {}
    for row in methods:
        root = osp.join(work_dir_of(row.config, work_root), 'active_labels')
        if row.name in HISTOGRAM_RUNS and LabelStore.exists(root):
            counts[row.name] = LabelStore(root).class_counts()
    if not counts:
        return ''
    import cv2
    import numpy as np
    gt = np.zeros(NUM_CLASSES)
    for path in glob.glob(osp.join(bench_root, 'target/gtFine/train/*/*.png')):
        gt += np.bincount(cv2.imread(path, cv2.IMREAD_UNCHANGED).ravel(), minlength=256)[:NUM_CLASSES]
    counts['all target labels'] = gt
    out = osp.join(work_root, 'class_histogram_ra_vs_cbda.png')
    return draw_class_histogram(counts, CLASSES, out,
                                title='Acquired target labels per class (2.2% budget)')


def draw_selection(work_root: str, methods: Sequence[Row], bench_root: str) -> str:
    """CBDA Appendix A: the spread over images of the pixels labelled, RA vs DA."""
    from mmada.active.label_store import LabelStore
    from mmada.visualization import draw_selection_distribution
    with open(osp.join(bench_root, 'meta.json')) as f:
        meta = json.load(f)
    size = meta['height'] * meta['width']
    runs = {}
    for row in methods:
        root = osp.join(work_dir_of(row.config, work_root), 'active_labels')
        if row.name in HISTOGRAM_RUNS and LabelStore.exists(root):
            per_image = LabelStore(root).annotated_per_image()
            keys = glob.glob(osp.join(bench_root, 'target/leftImg8bit/train/*/*.png'))
            # every pool image counts, also those that got no label (0 %)
            counts = [0] * (len(keys) - len(per_image)) + list(per_image.values())
            runs[row.name] = [100.0 * c / size for c in counts]
    if not runs:
        return ''
    out = osp.join(work_root, 'selection_distribution_ra_vs_cbda.png')
    return draw_selection_distribution(
        runs, out, title='Pixels labelled per target image (CBDA App. A)')


def _labels_cell(row: Row, spent: Optional[int]) -> str:
    if spent is None:
        return '-'
    return f'{spent:,} points' if row.family == 'point supervision' else f'{spent:,}'


def _not_run(row: Row) -> str:
    if row.after and osp.exists(osp.join(ROOT, row.config)):
        return f'not run: it continues the {row.after!r} row, which did not run'
    return f'not run: `{row.config}` is not in this checkout'


def table(rows: Sequence[Row], results: Dict[str, dict], total_pixels: int,
          skipped: Sequence[Row] = (), benchmark: Optional[Dict[str, str]] = None) -> str:
    """Markdown table: mIoU, labels spent, share of the target pixels, time.

    Followed by the notes of the rows shown (``Row.note``).

    Args:
        rows: Rows in table order.
        results: Per row name: ``mIoU``, ``labelled`` (pixels), ``minutes``,
            ``cpu_minutes`` (missing rows are left out).
        total_pixels: Pixels of the target training set.
        skipped: Rows not run (listed with the reason): their config is not in
            this checkout, or they continue such a row.
        benchmark: ``make benchmark``'s mIoU cell per row name
            (``benchmark_miou``): shown in a column after the demo's mIoU,
            ``-`` for a row it lacks; ``None``: no such column.

    Returns:
        str: The table.
    """
    bench = benchmark is not None
    lines = ['| method | budget | target val mIoU |'
             + (' make benchmark, 3 seeds |' if bench else '')
             + ' labelled target pixels | % of target px | wall min | CPU min |',
             '|---|---|---:|' + ('---:|' if bench else '') + '---:|---:|---:|---:|']
    notes = []
    for row in rows:
        if row in skipped:
            lines.append(f'| {row.name} | {row.budget} | {_not_run(row)} |'
                         + (' |' if bench else '') + ' | | | |')
            continue
        if row.name not in results:
            continue
        m = results[row.name]
        spent = m.get('labelled')
        share = '-' if spent is None else f'{100.0 * spent / total_pixels:.2f}'
        lines.append(f'| {row.name} | {row.budget} | {m.get("mIoU", float("nan")):.2f} | '
                     + (f'{benchmark.get(row.name, "-")} | ' if bench else '')
                     + f'{_labels_cell(row, spent)} | {share} | {m["minutes"]:.1f} | '
                     f'{m["cpu_minutes"]:.1f} |')
        if row.note:
            notes.append(f'- {row.name}: {row.note}.')
    return '\n'.join(lines + ([''] + notes if notes else []))


def previous_results(work_root: str, preset: str, seed: int) -> Dict[str, dict]:
    """Rows of the last ``results.json`` in ``work_root`` if it ran ``preset``
    with ``seed`` (else none)."""
    path = osp.join(work_root, 'results.json')
    if not osp.exists(path):
        return {}
    with open(path) as f:
        last = json.load(f)
    if (last.get('preset'), last.get('seed')) != (preset, seed):
        print(f'[demo] --reuse: {path} ran preset {last.get("preset")} seed '
              f'{last.get("seed")}, not {preset} seed {seed}: training every row')
        return {}
    return last['results']


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader sees the old or the new file)."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def select_rows(only: Optional[List[str]]) -> List[Row]:
    """The rows to run; ``only`` names rows (source only and the rows they
    continue always run), in table order; without ``only`` every row but the
    extra ones."""
    names = {r.name for r in METHODS}
    unknown = sorted(set(only or ()) - names)
    if unknown:
        raise SystemExit(f'--only: unknown rows {unknown}; rows are {sorted(names)}')
    picked = [r for r in METHODS
              if r is SOURCE_ONLY or (r.name in only if only else not r.extra)]
    return _rs().with_chains(picked, METHODS)


def skipped_rows(rows: Sequence[Row]) -> List[Row]:
    """Rows that cannot run: an optional config not in this checkout, or a
    row they continue is such a row."""
    missing = {r.name for r in rows if r.optional and not osp.exists(osp.join(ROOT, r.config))}
    return [r for r in rows if r.name in missing or any(c.name in missing for c in chain(r))]


def reusable(rows: Sequence[Row], reused: Dict[str, dict]) -> Dict[str, dict]:
    """The rows of the previous run to keep: every one when source only is
    among them (the rest adapted its checkpoint), except a chained row whose
    chain is not kept (it would continue a run trained again)."""
    if SOURCE_ONLY.name not in reused:
        return {}
    return {r.name: reused[r.name] for r in rows
            if r.name in reused and all(c.name in reused for c in chain(r))}


def benchmark_miou(path: str = RESULTS_DOC, preset: str = DEFAULT_PRESET) -> Dict[str, str]:
    """``make benchmark``'s mIoU cell per row name (``'52.82 ± 0.23'``).

    Read from the ``results-synthetic-<preset>`` section that
    ``tools/benchmarks/results_synthetic.py`` writes; empty when the file or
    the section is missing.

    Args:
        path: The results file (``docs/results_synthetic.md``).
        preset: Synthetic preset of the section.

    Returns:
        dict: Row name -> the mIoU cell as the benchmark wrote it.
    """
    if not osp.exists(path):
        return {}
    with open(path) as f:
        text = f.read()
    match = re.search(rf'<!-- results-synthetic-{preset}:start -->(.*?)'
                      rf'<!-- results-synthetic-{preset}:end -->', text, re.S)
    if not match:
        return {}
    lines = match.group(1).splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith('| method |')), None)
    if header is None:
        return {}
    cols = [c.strip() for c in lines[header].strip('|').split('|')]
    out = {}
    for line in lines[header + 2:]:
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip('|').split('|')]
        out[cells[0]] = cells[cols.index('mIoU')]
    return out


def idle_minutes(order: Sequence[Row], cpu: Dict[str, float], lanes: int,
                 serial: float = 0.0) -> float:
    """Wall minutes of the demo on ``lanes`` idle cores, from CPU times.

    Source only trains alone; the other rows start in ``order`` on the first
    free lane, a row with ``after`` not before that row finished (as
    ``run_all`` schedules them), each taking its CPU time (one thread per
    training: on an idle core its wall time). ``serial`` (the demo process's
    own CPU time and the polling delay) is added.

    Args:
        order: Rows in start order (``start_order``), source only included.
        cpu: CPU minutes per row name.
        lanes: Trainings at a time.
        serial: Minutes that overlap with no training.

    Returns:
        float: Estimated wall minutes.
    """
    source = cpu.get(SOURCE_ONLY.name, 0.0)
    free, finish = [source] * max(1, lanes), {SOURCE_ONLY.name: source}
    pending = [r for r in order if r.name != SOURCE_ONLY.name and r.name in cpu]
    while pending:
        lane = min(range(len(free)), key=free.__getitem__)
        now = free[lane]
        row = next((r for r in pending if not r.after or finish.get(r.after, now + 1) <= now),
                   None)
        if row is None:  # every pending row waits for a running one: idle until one ends
            later = [t for t in finish.values() if t > now]
            if later:
                free[lane] = min(later)
                continue
            row = pending[0]  # continues a row that did not run: run_all refuses it
        finish[row.name] = free[lane] = now + cpu[row.name]
        pending.remove(row)
    return serial + max(finish.values(), default=0.0)


def summary(preset: str, seed: int, wall: float, train_cpu: float, own_cpu: float,
            idle: float, jobs: int, reused: int = 0) -> str:
    """The header sentence of the demo's table: date, measured wall time,
    CPU time, the estimate on two idle cores and the machine."""
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    return (f'`make demo` (`python tools/demo.py --preset {preset} --seed {seed}`), {when}: '
            f'**{wall:.1f} min wall** on this machine ({os.cpu_count()} cores, {jobs} '
            f'training(s) at a time)' + (f', {reused} rows kept from the previous run' if reused
                                          else '')
            + f'; {train_cpu + own_cpu:.1f} CPU min (trainings {train_cpu:.1f}, the demo '
            f'process {own_cpu:.1f}), so about **{idle:.1f} min on 2 idle cores** (the demo '
            'process, then source only, then the other trainings 2 at a time in start order, '
            f'each taking its CPU time); {_rs().machine()}.')


SEED_NOTE = ('One seed shows what labels buy (every labelled row against source only and AdvEnt) '
             'but not an order of rows closer than the seed spread of `make benchmark`, whose '
             '3-seed mean ± std is the column next to it (`docs/results_synthetic.md`).')


def docs_section(report: str, header: str, mark: str) -> str:
    """The demo's table as a marked section (``--docs``)."""
    return '\n'.join([f'<!-- {mark}:start -->', header, '', report, '', SEED_NOTE,
                       f'<!-- {mark}:end -->'])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-root', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--only', nargs='*',
                        help='run only these rows (with source only and the rows they continue)')
    parser.add_argument('--jobs', type=int, default=min(2, os.cpu_count() or 1),
                        help='trainings run at the same time (1 thread each); '
                        'default: 2, or 1 on a 1-core machine')
    parser.add_argument('--preset', default=DEFAULT_PRESET, choices=sorted(BENCH_ROOTS),
                        help='synthetic preset (mmada/datasets/synthetic/)')
    parser.add_argument('--seed', type=int, default=0, help='randomness.seed of every run')
    parser.add_argument('--reuse', action='store_true',
                        help='keep the rows of the last results.json in --work-root (same '
                        'preset and seed) and train only the others')
    parser.add_argument('--docs', action='store_true',
                        help='also write the table into docs/results_synthetic.md (section '
                        'demo-<preset>) and README.md (demo-readme; hard preset only)')
    args = parser.parse_args()
    rows = select_rows(args.only)
    os.makedirs(args.work_root, exist_ok=True)
    from mmada.datasets.synthetic import SyntheticConfig, generate_benchmark
    start = time.time()
    bench_root = BENCH_ROOTS[args.preset]
    if generate_benchmark(bench_root, SyntheticConfig(preset=args.preset)):
        print(f'[demo] generated the {args.preset} synthetic benchmark in '
              f'{time.time() - start:.0f} s')
    skipped = skipped_rows(rows)
    for row in skipped:
        print(f'[demo] skip {row.name}: {_not_run(row)[len("not run: "):]}')
    reused = previous_results(args.work_root, args.preset, args.seed) if args.reuse else {}
    results = reusable(rows, reused)
    if not results:  # source only trains again, and so every row adapted from it
        reused = {}
        source = derive_config(SOURCE_ONLY, args.work_root, args.preset, args.seed, None)
        results = run_all([(SOURCE_ONLY, source)], args.work_root, 1)
    adapted = []
    for row in rows:
        if row.name in results or row in skipped:
            continue
        ckpt, store = start_point(row, args.work_root)
        made_by = f'the {row.after!r} row of tools/demo.py' if row.after else ''
        adapted.append((row, derive_config(row, args.work_root, args.preset, args.seed, ckpt,
                                           store, made_by)))
    results.update(run_all(adapted, args.work_root, args.jobs, done=results))
    results = {r.name: results[r.name] for r in rows if r.name in results}
    total = target_train_pixels(bench_root)
    by_name = {r.name: r for r in rows}
    for name, m in results.items():
        stores = [osp.join(work_dir_of(r.config, args.work_root), 'active_labels')
                  for r in chain(by_name[name])]  # the runs a chained row continues
        m['labelled'] = labels_spent(by_name[name], m['work_dir'], total, stores)
    benchmark = benchmark_miou(RESULTS_DOC, args.preset)
    report = table(rows, results, total, skipped, benchmark if benchmark else None)
    picture = draw_histograms(args.work_root, rows, bench_root)
    spread = draw_selection(args.work_root, rows, bench_root)
    minutes = (time.time() - start) / 60
    cpu = sum(m['cpu_minutes'] for m in results.values())
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_cpu = (own.ru_utime + own.ru_stime) / 60
    trained = [r for r, _ in start_order([(r, '') for r in rows]) if r.name in results]
    idle = idle_minutes(trained, {r.name: results[r.name]['cpu_minutes'] for r in trained}, 2,
                        own_cpu + len(trained) * POLL_S / 60)
    header = summary(args.preset, args.seed, minutes, cpu, own_cpu, idle, args.jobs,
                     len(results) - len(adapted) if reused else 0)
    _write(osp.join(args.work_root, 'results.md'),
           header + '\n\n' + report + '\n\n' + SEED_NOTE + '\n')
    _write(osp.join(args.work_root, 'results.json'),
           json.dumps(dict(results=results, preset=args.preset, seed=args.seed,
                           minutes=minutes, cpu_minutes=cpu, demo_cpu_minutes=own_cpu,
                           idle_2core_minutes=idle), indent=1))
    if args.docs:
        write_section = _rs().write_section
        write_section(RESULTS_DOC, docs_section(report, header, f'demo-{args.preset}'),
                      f'demo-{args.preset}')
        if args.preset == 'hard':
            write_section(README, docs_section(report, header, 'demo-readme'), 'demo-readme')
    print(f'\nTarget (real-looking) validation set of the {args.preset} preset, seed {args.seed}; '
          f'{total:,} target training pixels.\n\n{header}\n')
    print(report)
    print(f'\n{SEED_NOTE}')
    if picture:
        print(f'\nClass histogram of the acquired labels: {picture}')
    if spread:
        print(f'Pixels labelled per image, RA vs CBDA (CBDA Appendix A): {spread}')
    print(f'\n[demo] table saved to {osp.join(args.work_root, "results.md")}')


if __name__ == '__main__':
    main()
