"""Launching the tools from tests: one command-line run, a 2-rank run, a free port.

:func:`run_tool` runs ``tools/X.py`` as its own process, forked from a
server that has already imported torch, mmseg and mmada
(:mod:`tests.helpers.tool_server`), which saves about 4 CPU-seconds a launch.
``MMADA_TEST_FRESH_PROCESS=1`` launches a fresh interpreter each time
instead, as a user's shell does.
"""
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from typing import Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PY = sys.executable


#: Set by tests/conftest.py when the run leaves out the e2e tier (make test-fast).
FAST_TIER = 'MMADA_TEST_FAST_TIER'


def check_tier(what: str) -> None:
    """Refuse a tool launch in the fast tier: such a test must be marked ``e2e``.

    Args:
        what: What the test was about to do, for the message.
    """
    if os.environ.get(FAST_TIER):
        raise AssertionError(f'this test {what}: mark it @pytest.mark.e2e (make test-fast '
                             'runs only tests that launch no tool)')


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tool_env(env: Optional[dict] = None) -> dict:
    """The environment a tool runs in: one thread, this checkout first."""
    full = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    full.update(env or {})
    return full


class ToolServer:
    """The client of one :mod:`tests.helpers.tool_server` process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [PY, osp.join(ROOT, 'tests', 'helpers', 'tool_server.py')], cwd=ROOT,
            env=tool_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _reply(self, timeout: Optional[float], pid: Optional[int] = None) -> dict:
        box = {}
        reader = threading.Thread(target=lambda: box.update(
            line=self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():  # the run took too long: end it and all it started
            if pid is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            reader.join(30)
            box['timed_out'] = True
        line = box.get('line')
        if not line:
            raise RuntimeError('the tool server died (see its stderr above)')
        return dict(json.loads(line), timed_out=box.get('timed_out', False))

    def run(self, script: str, args: Sequence[str], cwd: str, env: dict,
            timeout: float) -> subprocess.CompletedProcess:
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            out, err = osp.join(tmp, 'stdout'), osp.join(tmp, 'stderr')
            request = dict(script=script, args=[str(a) for a in args], cwd=cwd, env=env,
                           stdout=out, stderr=err)
            self.proc.stdin.write(json.dumps(request) + '\n')
            self.proc.stdin.flush()
            pid = self._reply(60)['pid']
            reply = self._reply(timeout, pid)
            with open(out, errors='replace') as f, open(err, errors='replace') as g:
                stdout, stderr = f.read(), g.read()
            argv = [PY, script, *request['args']]
            if reply['timed_out']:
                raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
            return subprocess.CompletedProcess(argv, reply['status'], stdout, stderr)


_server: Optional[ToolServer] = None


def _tool_server() -> ToolServer:
    global _server
    if _server is None or not _server.alive():
        _server = ToolServer()
    return _server


def run_tool(args: Sequence, timeout: float = 600, env: Optional[dict] = None,
             check: bool = True, cwd: str = ROOT) -> subprocess.CompletedProcess:
    """Run ``[script.py, *args]`` as a command-line tool; return the finished process.

    Args:
        args: The script (relative to ``cwd``) and its arguments.
        timeout: Seconds before the run is killed (``TimeoutExpired``).
        env: Variables to set on top of :func:`tool_env`'s.
        check: Raise ``AssertionError`` with the output on a non-zero status.
        cwd: The working directory.

    Returns:
        subprocess.CompletedProcess: ``returncode`` (negative: the signal
        that killed it), ``stdout``, ``stderr``.
    """
    check_tier('launches ' + ' '.join(map(str, args[:1])))
    args = [str(a) for a in args]
    full_env = tool_env(env)
    if args[0].endswith('.py') and not os.environ.get('MMADA_TEST_FRESH_PROCESS'):
        proc = _tool_server().run(args[0], args[1:], cwd, full_env, timeout)
    else:
        proc = subprocess.run([PY] + args, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def dist_train(cfg: str, work_dir: str, nproc: int = 2, extra: Sequence[str] = (),
               timeout: float = 600) -> subprocess.CompletedProcess:
    """``tools/dist_train.sh cfg nproc --work-dir work_dir *extra`` (gloo on CPU)."""
    check_tier('launches tools/dist_train.sh')
    env = dict(os.environ, PYTHON=PY, PORT=str(free_port()), OMP_NUM_THREADS='1')
    return subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_train.sh'), cfg, str(nproc),
         '--work-dir', work_dir, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
