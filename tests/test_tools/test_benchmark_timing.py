"""tools/benchmarks/timing.py: the one timed-block helper of the benchmark scripts."""
import glob
import importlib.util
import os.path as osp
import time

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCHMARKS = osp.join(ROOT, 'tools', 'benchmarks')


def _timing():
    spec = importlib.util.spec_from_file_location('timing', osp.join(BENCHMARKS, 'timing.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_timed_block_measures_wall_and_cpu_and_records_on_error():
    timing = _timing()
    with timing.timed() as t:
        time.sleep(0.05)  # wall time, almost no CPU
    assert 0.05 <= t.wall < 1.0 and t.cpu < 0.04
    spent = []
    with pytest.raises(ValueError):
        with timing.timed(into=spent):
            raise ValueError('inside')
    assert len(spent) == 1 and spent[0].wall >= 0.0


def test_repeat_leaves_setup_out_and_returns_the_last_result():
    timing = _timing()
    calls = []

    def setup():
        time.sleep(0.2)  # not timed
        return len(calls)

    wall, cpu, last = timing.repeat(lambda i: calls.append(i) or i * 10, 3, setup=setup)
    assert calls == [0, 1, 2] and last == 20
    assert len(wall) == len(cpu) == 3 and max(wall) < 0.2
    median_wall, median_cpu = timing.median_seconds(lambda: time.sleep(0.02), 3)
    assert 0.02 <= median_wall < 1.0 and median_cpu < 0.015


def test_interleaved_calls_in_turns():
    timing = _timing()
    order = []
    times = timing.interleaved(dict(a=lambda: order.append('a'), b=lambda: order.append('b')), 2)
    assert order == ['a', 'b', 'a', 'b'] and sorted(times) == ['a', 'b']
    assert all(len(v) == 2 for v in times.values())


def test_benchmark_scripts_time_blocks_only_through_the_helper():
    """No script reads the clocks itself (deadlines use time.monotonic)."""
    readers = [osp.basename(p) for p in sorted(glob.glob(osp.join(BENCHMARKS, '*.py')))
               if not p.endswith('timing.py') and
               any(clock in open(p).read() for clock in ('perf_counter()', 'process_time()'))]
    assert readers == []
