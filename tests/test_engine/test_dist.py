"""tools/dist_train.sh trains with 2 processes on CPU (gloo)."""
import pytest
import os.path as osp
import sys

from tests.conftest import tiny_config
from tests.helpers.launch import dist_train

SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


@pytest.mark.e2e
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


class _Exited(Exception):
    def __init__(self, code):
        self.code = code


def _run_tool_exit(monkeypatch, main, group: bool):
    """The status ``run_tool(main)`` leaves with, and whether it finalized."""
    import torch.distributed as dist

    from mmada.utils import dist as dist_utils

    def hard_exit(code):
        raise _Exited(code)

    monkeypatch.setattr(dist_utils.os, '_exit', hard_exit)
    monkeypatch.setattr(dist_utils, '_joined', False)
    if group:
        dist.init_process_group('gloo', store=dist.HashStore(), rank=0, world_size=1)
    try:
        dist_utils.run_tool(main)
    except _Exited as hard:
        return hard.code, 'os._exit'
    except SystemExit as stop:
        return stop.code, 'sys.exit'
    finally:
        assert not dist.is_initialized()  # the group is always left


def test_run_tool_exits_a_distributed_process_with_its_status_without_finalizing(monkeypatch,
                                                                                 capsys):
    def fails():
        raise RuntimeError('a rank failed')

    def finishes():
        from mmada.utils import finish_distributed
        finish_distributed()
        return 0

    assert _run_tool_exit(monkeypatch, fails, group=True) == (1, 'os._exit')
    assert 'RuntimeError: a rank failed' in capsys.readouterr().err  # the traceback
    assert _run_tool_exit(monkeypatch, lambda: 143, group=True) == (143, 'os._exit')
    assert _run_tool_exit(monkeypatch, finishes, group=True) == (0, 'os._exit')
    # A process that never joined a group exits as Python does.
    assert _run_tool_exit(monkeypatch, fails, group=False) == (1, 'sys.exit')
    assert _run_tool_exit(monkeypatch, lambda: 2, group=False) == (2, 'sys.exit')

    def argparse_error():
        raise SystemExit(2)

    assert _run_tool_exit(monkeypatch, argparse_error, group=True) == (2, 'os._exit')


def _expected_table(total, width):
    import torch
    return (100 * torch.arange(total)[:, None] + torch.arange(width)[None]).float()


def test_gather_rows_on_one_process_places_rows_at_their_indices():
    import torch
    from mmada.active.engine import PassRows
    from mmada.utils.dist import gather_rows
    rows = torch.tensor([[1., 2.], [3., 4.]])
    table = gather_rows(rows, torch.tensor([2, 0]), 3)
    assert torch.equal(table, torch.tensor([[3., 4.], [0., 0.], [1., 2.]]))
    full = torch.zeros(3, 2)
    full[1] = 7
    assert gather_rows(full, torch.tensor([1]), 3, in_place=True) is full  # no copy
    kept = PassRows([2, 0], 3)
    kept.put(2, torch.tensor([[1., 2.]]))  # flattened
    with pytest.raises(ValueError, match='image 0 gave 3 values, earlier images 2'):
        kept.put(0, torch.zeros(3))
    assert torch.equal(kept.gather()[2], torch.tensor([1., 2.]))


@pytest.mark.e2e
def test_gather_rows_on_two_gloo_ranks_in_small_chunks():
    """Uneven shards (7 rows on 2 ranks), 2-row and 1-row chunks, to rank 0 / rank 1 / all."""
    import torch
    from tests.helpers.dist_ranks import gather_rows_rank
    from tests.helpers.gloo import run_ranks
    expected = _expected_table(7, 3)
    cases = [(7, 3, 2 * 3 * 4, 0), (7, 3, 1, 1), (7, 3, 1 << 20, None)]
    rank0, rank1 = run_ranks(gather_rows_rank, 2, cases)
    (t0, p0, s0), (t1, p1, s1) = rank0[0], rank1[0]
    assert torch.equal(t0, expected) and torch.equal(p0, expected) and t1 is None and p1 is None
    assert (s0, s1) == ((7, 3), (3, 3))  # the sender keeps only its shard
    (t0, _, _), (t1, p1, _) = rank0[1], rank1[1]
    assert t0 is None and torch.equal(t1, expected) and torch.equal(p1, expected)
    for t, p, _ in (rank0[2], rank1[2]):
        assert torch.equal(t, expected) and torch.equal(p, expected)
    assert rank0[3] == rank1[3] == (
        'gather_rows: the ranks hold rows of 2 and 3 values (every rank must run the same '
        'model on the same label space)')
