"""tools/dist_train.sh trains with 2 processes on CPU (gloo)."""
import os
import os.path as osp
import socket
import subprocess
import sys

from tests.conftest import ROOT, tiny_config

SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(cfg, work_dir, nproc=2, extra=()):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
               OMP_NUM_THREADS='1')
    return subprocess.run(
        ['bash', osp.join(ROOT, 'tools/dist_train.sh'), cfg, str(nproc),
         '--work-dir', work_dir, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_two_process_gloo_training(tmp_path, bench_root):
    cfg = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=2)
    work = str(tmp_path / 'work')
    proc = dist_train(cfg, work)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert 'Distributed launcher: pytorch' in out
    assert 'Distributed training: True' in out and 'GPU number: 2' in out
    assert "backend='gloo'" in out  # the dumped config of the run
    assert osp.exists(osp.join(work, 'iter_2.pth'))
    assert 'mIoU' in out


def test_finish_distributed_keeps_the_exit_barrier_and_destroys_the_group(monkeypatch):
    """The last barrier's work is never released (see finish_distributed)."""
    import torch
    import torch.distributed as dist

    from mmada.utils import finish_distributed
    issued = []
    barrier = dist.barrier

    def recording_barrier(*args, **kwargs):
        issued.append(barrier(*args, **kwargs))
        return issued[-1]

    monkeypatch.setattr(dist, 'barrier', recording_barrier)
    dist.init_process_group('gloo', store=dist.HashStore(), rank=0, world_size=1)
    dist.broadcast(torch.ones(4), src=0)
    plain = [barrier(async_op=True)]  # a barrier work nobody else keeps
    plain[0].wait()
    finish_distributed()
    assert not dist.is_initialized()
    assert len(issued) == 1 and issued[0].is_completed()
    kept, free = sys.getrefcount(issued[0]), sys.getrefcount(plain[0])
    assert kept == free + 1  # one reference that is never dropped
    finish_distributed()  # without a group: nothing to do
