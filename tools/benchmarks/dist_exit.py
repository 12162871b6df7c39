"""Exit status of 2-rank gloo runs: count the runs that end with SIGABRT.

A 2-rank CPU run must end with its own status: 0 when it finished, 1 when it
failed (with its message or traceback), never signal 6 ("terminate called
without an active exception" from a gloo thread outliving Python). This
script launches the kinds of 2-rank runs the test suite launches, again and
again, round robin, and counts how each ended:

* ``train``: ``tools/dist_train.sh`` of the tiny supervised config (2
  iterations, a checkpoint, validation at the end);
* ``active``: the tiny RIPU config with an acquisition round at iteration 1
  (pool pass sharded over the ranks, gathered, committed by rank 0);
* ``test``: ``tools/dist_test.sh`` of the ``train`` run's checkpoint;
* ``user_error``: every rank stops at iteration 2 with a clear message (a
  ``UserFacingError``, as a refused setting is);
* ``rank_crash``: rank 1 raises an unexpected ``RuntimeError`` at iteration 2
  while rank 0 goes on (the other rank then fails in its next collective).

    python tools/benchmarks/dist_exit.py [--runs 30] [--repo PATH] [--out docs/benchmarks.md]

``--repo`` runs another checkout's tools (e.g. one from before a fix) with
this script's counting. Run it niced on a shared machine (``nice -n 15``).
"""
import argparse
import collections
import os
import os.path as osp
import socket
import subprocess
import sys
import tempfile
import time

sys.path[0] = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROOT = sys.path[0]
sys.path.insert(1, osp.dirname(osp.abspath(__file__)))
from report import machine, write_section  # noqa: E402
from tiny_runs import generate, tiny_config  # noqa: E402

MARK = 'dist_exit'
SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
RIPU = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
KINDS = ('train', 'active', 'test', 'user_error', 'rank_crash')
#: The status each kind must end with (torchrun's own: 1 when a rank failed).
EXPECTED = dict(train=0, active=0, test=0, user_error=1, rank_crash=1)
ABORT_SIGNS = ('terminate called', 'Signal 6 (SIGABRT)', 'exitcode  : -6', 'SIGABRT')

HOOKS = '''
"""A hook that fails a run at a chosen iteration (dist_exit.py)."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmada.registry import HOOKS
from mmada.utils import UserFacingError


@HOOKS.register_module()
class FailAtIterHook(Hook):

    def __init__(self, at, rank=None, user_facing=False):
        self.at, self.rank, self.user_facing = at, rank, user_facing

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at and self.rank in (None, get_rank()):
            if self.user_facing:
                raise UserFacingError('stopped by FailAtIterHook')
            raise RuntimeError('rank %d failed on purpose' % get_rank())
'''


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_configs(tmp: str, bench_root: str) -> dict:
    """The config of each kind (``test`` reuses ``train``'s)."""
    with open(osp.join(tmp, 'dist_exit_hooks.py'), 'w') as f:
        f.write(HOOKS)
    fail = dict(custom_imports=dict(imports=['dist_exit_hooks'], allow_failed_imports=False))
    paths = {}
    for kind, config, iters, extra in (
            ('train', SUPERVISED, 2, {}),
            ('active', RIPU, 2, dict(active_rounds=[1])),
            ('user_error', SUPERVISED, 3, dict(
                fail, custom_hooks=[dict(type='FailAtIterHook', at=2, user_facing=True)])),
            ('rank_crash', SUPERVISED, 3, dict(
                fail, custom_hooks=[dict(type='FailAtIterHook', at=2, rank=1)]))):
        cfg = tiny_config(config, bench_root, iters, validate=kind in ('train', 'active'))
        for key, value in extra.items():
            cfg[key] = value
        if kind == 'active':
            cfg.active_learning.num_vis = 0
        paths[kind] = osp.join(tmp, f'{kind}.py')
        cfg.dump(paths[kind])
    paths['test'] = paths['train']
    return paths


def launch(repo: str, kind: str, config: str, work_dir: str, tmp: str) -> tuple:
    """Run one 2-rank job; return (status, output, seconds)."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([repo, tmp]))
    if kind == 'test':
        cmd = ['bash', osp.join(repo, 'tools/dist_test.sh'), config,
               osp.join(work_dir, 'iter_2.pth'), '2', '--work-dir', work_dir + '_test']
    else:
        cmd = ['bash', osp.join(repo, 'tools/dist_train.sh'), config, '2', '--work-dir', work_dir]
    start = time.time()
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr, time.time() - start


def ended(kind: str, status: int, out: str) -> str:
    """How a run ended: ``ok``, ``abort`` or ``wrong status``."""
    if status in (-6, 134) or any(sign in out for sign in ABORT_SIGNS):
        return 'abort'
    return 'ok' if status == EXPECTED[kind] else 'wrong status'


def soak(repo: str, runs: int, tmp: str, log) -> dict:
    """Launch ``runs`` jobs round robin over the kinds; count the endings."""
    bench = generate(osp.join(tmp, 'bench'))
    configs = write_configs(tmp, bench)
    counts = collections.defaultdict(collections.Counter)
    seconds = []
    # The test kind needs a trained checkpoint: train first.
    order = ['train'] + [KINDS[i % len(KINDS)] for i in range(1, runs)]
    train_dir = osp.join(tmp, 'work_train')
    for i, kind in enumerate(order):
        work = train_dir if kind in ('train', 'test') else osp.join(tmp, f'work_{i}')
        status, out, took = launch(repo, kind, configs[kind], work, tmp)
        how = ended(kind, status, out)
        counts[kind][how] += 1
        seconds.append(took)
        log(f'run {i + 1}/{len(order)} {kind}: status {status}, {how} ({took:.0f} s)')
        if how != 'ok':
            log(out[-3000:])
    return dict(counts={k: dict(v) for k, v in counts.items()}, seconds=seconds)


def render(res: dict, runs: int) -> str:
    """The markdown section."""
    rows = []
    for kind in KINDS:
        c = res['counts'].get(kind, {})
        rows.append(f'| {kind} | {EXPECTED[kind]} | {sum(c.values())} | {c.get("ok", 0)} | '
                    f'{c.get("abort", 0)} | {c.get("wrong status", 0)} |')
    aborts = sum(c.get('abort', 0) for c in res['counts'].values())
    return '\n'.join([
        f'<!-- {MARK}:start -->',
        '## Exit status of 2-rank gloo runs',
        '',
        f'`python tools/benchmarks/dist_exit.py --runs {runs}` ({machine()}; '
        f'{time.strftime("%Y-%m-%d")}): {runs} launches of `tools/dist_train.sh` / '
        f'`tools/dist_test.sh` with 2 CPU ranks, round robin over five kinds of run; '
        f'**{aborts} ended with SIGABRT**.',
        '',
        '| kind | expected status | runs | as expected | SIGABRT | other status |',
        '|---|---|---|---|---|---|',
        *rows,
        f'<!-- {MARK}:end -->',
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--repo', default=ROOT, help='checkout whose tools are launched')
    parser.add_argument('--out', help='markdown file to write the section into')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        res = soak(osp.abspath(args.repo), args.runs, tmp, lambda s: print(s, flush=True))
    section = render(res, args.runs)
    print(section)
    if args.out:
        write_section(args.out, section, MARK)
    bad = sum(n for c in res['counts'].values() for how, n in c.items() if how != 'ok')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
