"""A process that has imported torch, mmseg and mmada, and forks a tool run per request.

Starting ``python tools/train.py`` costs about 4 CPU-seconds of imports
before the tool does anything; the suite launches its tools about a hundred
and fifty times. This server pays the imports once: for each request (one
JSON line on stdin: ``script``, ``args``, ``cwd``, ``env``, ``stdout``,
``stderr`` paths) it forks, and the child runs the script as ``python script
args...`` would (``sys.argv``, ``sys.path[0]``, ``__main__``, its own
environment, working directory, output files and process group), then exits
with the script's status. The server answers ``{"pid": ...}`` when the child
started and ``{"status": ...}`` (negative: killed by that signal) when it
ended. It never runs torch code itself, so no thread pool exists when it
forks.
"""
import json
import os
import runpy
import sys
import traceback

import matplotlib.pyplot  # noqa: F401 (the visualiser's; imported by every training)
import mmada  # noqa: F401
import mmada.datasets  # noqa: F401
import mmada.engine  # noqa: F401
import mmada.models  # noqa: F401
import mmengine.runner  # noqa: F401
import mmseg.models  # noqa: F401
import mmseg.visualization  # noqa: F401
import torch._dynamo  # noqa: F401 (imported by the first optimiser step, ~1.6 CPU-seconds)


class _Child(BaseException):
    """Raised in a forked child, to leave the server's loop before running."""

    def __init__(self, request: dict) -> None:
        self.request = request


def _answer(reply: dict) -> None:
    sys.stdout.write(json.dumps(reply) + '\n')
    sys.stdout.flush()


def serve() -> None:
    """Fork one child per request line until stdin closes."""
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            raise _Child(request)
        _answer(dict(pid=pid))
        _, status = os.waitpid(pid, 0)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        _answer(dict(status=code))


def run_child(request: dict) -> int:
    """Become ``python script args...`` in ``request``; return its status."""
    os.setpgid(0, 0)  # a timed-out run is killed with everything it started
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request['stdout']), (2, request['stderr'])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, fd)
        os.close(out)
    sys.stdin = open(os.devnull)
    script = request['script']
    sys.argv = [script] + list(request['args'])
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: B902 - as the interpreter reports it
        traceback.print_exc()
        return 1
    return 0


if __name__ == '__main__':
    try:
        serve()
    except _Child as child:
        sys.exit(run_child(child.request))
