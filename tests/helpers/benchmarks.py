"""Import a script of tools/benchmarks/ as a module (its sys.path changes undone)."""
import importlib.util
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_benchmark(name: str):
    """``tools/benchmarks/<name>.py`` as a module.

    Args:
        name: The script's name without ``.py``.
    """
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(
            f'benchmark_{name}', osp.join(ROOT, 'tools', 'benchmarks', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved
