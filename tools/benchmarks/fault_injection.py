"""Fault-injection soak: SIGKILL training at random moments, resume, compare.

A tiny RIPU region run on the synthetic benchmark (64x128 images, 12 target
images, 10 iterations, a checkpoint every iteration, acquisition rounds after
iterations 2/4/6/8) is first trained uninterrupted (the reference). Then the
same command with ``--resume`` (as a cluster job script runs it) is started
again and again in one work dir, each time killed with SIGKILL at a moment
drawn from one of four kinds:

* ``scoring``: while a round scores the pool (after its first progress line);
* ``commit``: after the last image is scored, while the round is decided,
  answered by the oracle and committed to the label store;
* ``checkpoint``: the moment a checkpoint's temporary file appears (inside
  ``torch.save`` / fsync / rename);
* ``random``: at a uniformly random time after the first logged iteration
  (within the reference run's training time).

After ``--kills-per-run`` kills a run may finish; its final label store, the
weights of every checkpoint and the budget spent are compared with the
reference's, and a new work dir starts, until ``--kills`` kills have landed. Where each kill landed
is read from what the process printed and left on disk.

    python tools/benchmarks/fault_injection.py [--kills 20] [--kills-per-run 7] [--seed 0]
        [--out docs/benchmarks.md]

Run it niced on a shared machine (``nice -n 15``).
"""
import argparse
import collections
import glob
import os
import os.path as osp
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from tiny_runs import GENERATOR, tiny_config  # noqa: E402

MARK = 'fault_injection'
CONFIG = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
MAX_ITERS, ROUNDS = 10, [2, 4, 6, 8]
KINDS = ('scoring', 'commit', 'checkpoint', 'random')
SCORING = re.compile(r'\[active\] round (\d+): scoring (\d+)/(\d+) images')
SUMMARY = re.compile(r'\[active\] round (\d+): \d+ units')
ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/')


def build_config(bench_root: str, out_dir: str) -> str:
    """The tiny soak config (no validation, every checkpoint kept)."""
    cfg = tiny_config(CONFIG, bench_root, MAX_ITERS, validate=False, checkpoint_interval=1)
    cfg.default_hooks.checkpoint.max_keep_ckpts = -1
    cfg.active_rounds = list(ROUNDS)
    cfg.active_learning.num_vis = 0
    path = osp.join(out_dir, 'soak_config.py')
    cfg.dump(path)
    return path


class Run:
    """One ``tools/train.py`` process whose output lines are timestamped."""

    def __init__(self, config: str, work_dir: str, resume: bool) -> None:
        env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1', PYTHONPATH=ROOT)
        args = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
        self.work_dir, self.start = work_dir, time.monotonic()
        self.proc = subprocess.Popen(args + (['--resume'] if resume else []), cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines, self.events = [], collections.defaultdict(list)
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append((time.monotonic() - self.start, line.rstrip('\n')))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_line(self, pattern: re.Pattern, timeout: float):
        """Block until a line matches (returns the match) or the run ends."""
        seen, deadline = 0, time.monotonic() + timeout
        with self.changed:
            while time.monotonic() < deadline:
                for _, line in self.lines[seen:]:
                    m = pattern.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                if self.proc.poll() is not None and not self.reader.is_alive():
                    return None
                self.changed.wait(0.05)
        return None

    def text(self) -> str:
        return '\n'.join(line for _, line in self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def finish(self, timeout: float) -> int:
        rc = self.proc.wait(timeout)
        self.reader.join(10)
        return rc


def timings(run: Run) -> dict:
    """Durations of the reference run: whole run, scoring and commit of a round."""
    score, commit = [], []
    first = {}
    for t, line in run.lines:
        m = SCORING.search(line)
        if m:
            r = int(m.group(1))
            first.setdefault(r, t)
            if m.group(2) == m.group(3):
                score.append(t - first[r])
                first[(r, 'last')] = t
        m = SUMMARY.search(line)
        if m and (int(m.group(1)), 'last') in first:
            commit.append(t - first[(int(m.group(1)), 'last')])
    first_iter = next((t for t, line in run.lines if ITER.search(line)), 0.0)
    return dict(total=run.lines[-1][0], training=run.lines[-1][0] - first_iter,
                scoring=max(score or [0.5]), commit=max(commit or [0.2]))


def temp_checkpoints(work_dir: str) -> list:
    return glob.glob(osp.join(work_dir, '.iter_*.pth.tmp-*')) + \
        glob.glob(osp.join(work_dir, '.last_checkpoint.tmp-*'))


def arm(run: Run, kind: str, rng: random.Random, est: dict) -> None:
    """Kill ``run`` at a moment of the given kind (or let it finish)."""
    timeout = 20 * est['total'] + 120
    if kind == 'scoring':
        if run.wait_line(SCORING, timeout):
            time.sleep(rng.uniform(0, 0.9 * est['scoring']))
            run.kill()
    elif kind == 'commit':
        if run.wait_line(re.compile(r'\[active\] round \d+: scoring (\d+)/\1 images'), timeout):
            time.sleep(rng.uniform(0, est['commit']))
            run.kill()
    elif kind == 'checkpoint':
        nth, seen = rng.randint(1, 3), set()
        while run.proc.poll() is None:
            for path in temp_checkpoints(run.work_dir):
                if path not in seen:
                    seen.add(path)
                    if len(seen) == nth:
                        run.kill()
                        return
            time.sleep(0.0005)
    elif run.wait_line(ITER, timeout):
        deadline = time.monotonic() + rng.uniform(0, est['training'])
        while run.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        run.kill()


def landed(run: Run) -> str:
    """Where the kill landed, from the output and the files left behind."""
    temps = temp_checkpoints(run.work_dir)
    if temps:
        names = sorted(osp.basename(p).split('.tmp-')[0][1:] for p in temps)
        return f'checkpoint write ({", ".join(names)})'
    text = run.text()
    started = [int(r) for r, *_ in SCORING.findall(text)]
    done = {int(r) for r in SUMMARY.findall(text)}
    open_rounds = [r for r in started if r not in done]
    if open_rounds:
        r = open_rounds[-1]
        from mmada.active.label_store import LabelStore
        store = osp.join(run.work_dir, 'active_labels')
        if LabelStore.exists(store) and LabelStore(store).current_round >= r:
            return f'round {r}, committed, before its log line'
        total = re.findall(rf'\[active\] round {r}: scoring (\d+)/(\d+)', text)
        if total and total[-1][0] == total[-1][1]:
            return f'round {r}, deciding/committing'
        return f'round {r}, scoring'
    iters = ITER.findall(text)
    if not iters:
        return 'start-up (before iteration 1)'
    if int(iters[-1]) == MAX_ITERS:
        return f'end of the run (after iteration {MAX_ITERS}, closing)'
    return f'training, after iteration {iters[-1]}'


def snapshot(work_dir: str) -> tuple:
    """Every image's labels, label rounds and exclusions, and the rounds' records."""
    from mmada.active.label_store import LabelStore
    store = LabelStore(osp.join(work_dir, 'active_labels'))
    shape = (GENERATOR['height'], GENERATOR['width'])
    state = {}
    for key in store.keys():
        s = store.read(key, shape)
        state[key] = (s.labels.copy(), s.rounds.copy(), s.excluded.copy())
    return store, state


def compare(ref: str, work: str, config: str) -> dict:
    """Store, weights and budget of a soaked work dir against the reference."""
    import numpy as np
    import torch
    ref_store, a = snapshot(ref)
    store, b = snapshot(work)
    same_store = ref_store.current_round == store.current_round == len(ROUNDS) and \
        sorted(a) == sorted(b) and all(
            np.array_equal(x, y) for k in a for x, y in zip(a[k], b[k]))
    max_diff, same_weights = 0.0, True
    for it in range(1, MAX_ITERS + 1):
        wa, wb = (torch.load(osp.join(d, f'iter_{it}.pth'), map_location='cpu',
                             weights_only=True)['state_dict'] for d in (ref, work))
        for k, v in wa.items():
            if v.is_floating_point():
                max_diff = max(max_diff, float((v - wb[k]).abs().max()))
                same_weights &= torch.allclose(v, wb[k], rtol=1e-5, atol=1e-6)
    return dict(same_store=same_store, same_weights=same_weights, max_diff=max_diff,
                within_budget=within_budget(store, config))


def within_budget(store, config: str) -> bool:
    """Every round queried at most its budget of units, and units x 9 pixels."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmada.active.budget import Budget
    from mmada.registry import UNITS
    init_default_scope('mmada')
    cfg = Config.fromfile(config)
    unit = UNITS.build(cfg.active_learning.unit)
    budget = Budget(**cfg.active_learning.budget, num_rounds=len(ROUNDS))
    shapes = [(GENERATOR['height'], GENERATOR['width'])] * GENERATOR['num_images']['target'][
        'train']
    for r, rec in enumerate(store.round_records(), start=1):
        meta = rec.get('meta', {})
        units, pixels = int(meta.get('units', -1)), int(meta.get('pixels', -1))
        if not (0 <= units <= budget.round_units(shapes, unit, r) and 0 <= pixels <= units * 9):
            return False
    return True


def soak(kills: int, per_run: int, seed: int, tmp: str, log) -> dict:
    from mmada.datasets.synthetic import SyntheticConfig, generate_benchmark
    bench = osp.join(tmp, 'synthetic')
    generate_benchmark(bench, SyntheticConfig(**GENERATOR), nproc=1)
    config = build_config(bench, tmp)
    ref_dir = osp.join(tmp, 'reference')
    t0 = time.monotonic()
    ref = Run(config, ref_dir, resume=False)
    if ref.finish(3600) != 0:
        raise RuntimeError(f'the reference run failed:\n{ref.text()[-4000:]}')
    est = timings(ref)
    log(f'reference run: {est["total"]:.1f} s (round scoring {est["scoring"]:.2f} s, '
        f'commit {est["commit"]:.2f} s)')
    rng = random.Random(seed)
    records, episodes, starts, failures = [], [], 0, []
    while len(records) < kills:
        work = osp.join(tmp, f'soak_{len(episodes)}')
        episode_kills = 0
        while True:
            kind = rng.choice(KINDS) if len(records) < kills and episode_kills < per_run \
                else None
            run = Run(config, work, resume=True)
            starts += 1
            if kind is not None:
                arm(run, kind, rng, est)
            rc = run.finish(20 * est['total'] + 300)
            if rc == -signal.SIGKILL:
                where = landed(run)
                records.append(dict(kind=kind, where=where))
                episode_kills += 1
                log(f'kill {len(records)}/{kills} ({kind}): landed in {where}')
                continue
            if rc != 0:
                failures.append(run.text()[-3000:])
                log(f'a resumed run failed (exit {rc}):\n{run.text()[-3000:]}')
                break
            if '--resume: no checkpoint in' in run.text() and episode_kills:
                log('the last run started fresh (every kill came before the first checkpoint)')
            result = compare(ref_dir, work, config)
            result.update(kills=episode_kills)
            episodes.append(result)
            log(f'episode {len(episodes)}: {episode_kills} kills, {result}')
            break
        if failures:
            break
    return dict(records=records, episodes=episodes, starts=starts, failures=failures,
                reference_s=est['total'], wall_s=time.monotonic() - t0,
                load=os.getloadavg()[1] if hasattr(os, 'getloadavg') else None)


def _place(where: str) -> str:
    """The table row of a kill's landing place."""
    if where.startswith('checkpoint write'):
        return 'a checkpoint write (its temporary file left behind)'
    if where.startswith('round'):
        return 'a round, while scoring' if where.endswith('scoring') else \
            'a round, while deciding / committing'
    if where.startswith('end of the run'):
        return 'the end of the run (after the last iteration)'
    return 'training, between checkpoint writes' if where.startswith('training') else where


def render(res: dict, seed: int, per_run: int) -> str:
    records, episodes = res['records'], res['episodes']
    by_where = collections.Counter(_place(r['where']) for r in records)
    ok_eps = [e for e in episodes if e['same_store'] and e['same_weights'] and e['within_budget']]
    resumed_ok = sum(e['kills'] for e in ok_eps)
    lines = [
        f'<!-- {MARK}:start -->',
        '## Fault injection: SIGKILL anywhere, `--resume`, same store and weights',
        '',
        f'`tools/benchmarks/fault_injection.py --kills {len(records)} --kills-per-run {per_run} '
        f'--seed {seed}`: a tiny RIPU RA run ({MAX_ITERS} iterations, a checkpoint every '
        f'iteration, rounds after iterations {"/".join(map(str, ROUNDS))}) killed with SIGKILL '
        f'(up to {per_run} times) and restarted with `--resume` until it finishes; then its '
        'label store, the weights of all '
        f'{MAX_ITERS} checkpoints and the budget spent are compared with an uninterrupted run. '
        f'{machine()} (training processes: OMP_NUM_THREADS=1); reference run '
        f'{res["reference_s"]:.0f} s, whole soak {res["wall_s"] / 60:.1f} min '
        f'({res["starts"]} process starts' + (
            f'; load average {res["load"]:.1f} at the end: the machine is shared'
            if res.get('load') else '') + ').',
        '',
        '| kill landed in | kills |',
        '|---|---:|',
    ]
    lines += [f'| {w} | {n} |' for w, n in sorted(by_where.items())]
    lines += [
        '',
        '| run (work dir) | kills | store identical | weights identical (max abs diff) | '
        'within budget |',
        '|---|---:|---|---|---|',
    ]
    for i, e in enumerate(episodes, start=1):
        lines.append(f'| {i} | {e["kills"]} | {"yes" if e["same_store"] else "NO"} | '
                     f'{"yes" if e["same_weights"] else "NO"} ({e["max_diff"]:.1e}) | '
                     f'{"yes" if e["within_budget"] else "NO"} |')
    lines += ['', f'**{resumed_ok}/{len(records)} kills resumed** to an identical store and '
              'identical weights' + (f'; {len(res["failures"])} resumed run(s) FAILED' if
                                     res['failures'] else '') + '.',
              f'<!-- {MARK}:end -->']
    return '\n'.join(lines) + '\n'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kills', type=int, default=20)
    parser.add_argument('--kills-per-run', type=int, default=7,
                        help='then the run may finish and a new work dir starts '
                        '(spreads the kills over all rounds)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', help='keep everything here (default: a temporary dir)')
    parser.add_argument('--out', help='markdown file to write the section into')
    args = parser.parse_args()
    tmp = args.work_dir or tempfile.mkdtemp(prefix='mmada_soak_')
    os.makedirs(tmp, exist_ok=True)
    try:
        res = soak(args.kills, args.kills_per_run, args.seed, tmp,
                   lambda msg: print(msg, flush=True))
    finally:
        if not args.work_dir:
            shutil.rmtree(tmp, ignore_errors=True)
    section = render(res, args.seed, args.kills_per_run)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)
    ok = not res['failures'] and len(res['records']) >= args.kills and all(
        e['same_store'] and e['same_weights'] and e['within_budget'] for e in res['episodes'])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
