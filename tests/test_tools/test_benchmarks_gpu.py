"""tools/benchmarks/gpu.py runs on the CPU (tiny stand-ins, one step each) and says so."""
import pytest
import torch

from tests.helpers.benchmarks import load_benchmark

# Eight training steps of four models (AMP off and on): tens of seconds on 2 cores.
pytestmark = pytest.mark.e2e


def test_gpu_benchmark_cpu_smoke_run_writes_its_section_marked_as_not_gpu_numbers(tmp_path):
    gpu = load_benchmark('gpu')
    threads = torch.get_num_threads()
    out = tmp_path / 'benchmarks.md'
    try:
        assert gpu.main(['--device', 'cpu', '--out', str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    text = out.read_text()
    assert '<!-- gpu:start -->' in text and '<!-- gpu:end -->' in text
    assert 'These are not GPU numbers' in text and 'device: CPU' in text
    rows = [line for line in text.splitlines() if line.startswith('| ') and 'x32 |' in line]
    assert len(rows) == 4 and all('n/a (CPU)' in row for row in rows)
    for row in rows:  # both AMP settings timed: positive milliseconds
        off, on = (float(cell) for cell in row.split('|')[3:5])
        assert off > 0 and on > 0
    assert 'TwoDomainSegmentor 2 + 2 / EncoderDecoder 4 images, AMP off:' in text
