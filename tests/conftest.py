"""Shared fixtures: a tiny synthetic benchmark and configs that use it."""
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from tests.helpers.launch import FAST_TIER, run_tool  # noqa: F401 (run_tool: for the tests)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if os.environ.get('PYTEST_XDIST_WORKER'):  # one core per worker (make test runs two)
    import torch
    torch.set_num_threads(1)
PY = sys.executable


def pytest_configure(config):
    """``-m "not e2e"`` (make test-fast): a test that launches a tool fails, unmarked."""
    if config.getoption('markexpr', '').replace(' ', '') == 'note2e':
        os.environ[FAST_TIER] = '1'
TINY_GENERATOR = dict(
    height=64, width=128, seed=0,
    num_images={'source': {'train': 12, 'val': 4}, 'target': {'train': 12, 'val': 6}})


def walk_dicts(obj):
    """Every dict nested in a config value."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from walk_dicts(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from walk_dicts(v)


def tiny_config(config: str, out_dir: str, bench_root: str, max_iters: int = 4,
                checkpoint_interval: int = 2, **cfg_options) -> str:
    """Write a copy of ``config`` shrunk to the tiny benchmark; return its path."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    for d in walk_dicts(cfg._cfg_dict):
        if str(d.get('type', '')).endswith('SyntheticCityscapesDataset'):
            d['bench_root'] = bench_root
            d['generator'] = dict(TINY_GENERATOR)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if key in cfg:
            cfg[key]['num_workers'] = 0
            cfg[key]['persistent_workers'] = False
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=max_iters,
                                by_epoch=False, eta_min=0.0)]
    cfg.default_hooks.checkpoint.interval = checkpoint_interval
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0, deterministic=False)
    cfg.load_from = None  # adaptation configs start from a source-only run
    for dotted, value in cfg_options.items():  # assignment, not merge
        *parents, last = dotted.split('.')
        node = cfg
        for name in parents:
            node = node[int(name)] if isinstance(node, list) else node[name]
        node[last] = value
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, osp.basename(config))
    cfg.dump(path)
    return path


@pytest.fixture(scope='session')
def bench_root(tmp_path_factory):
    """A tiny synthetic benchmark generated once per test session."""
    from mmada.datasets.synthetic import SyntheticConfig, generate_benchmark
    root = str(tmp_path_factory.mktemp('synthetic'))
    generate_benchmark(root, SyntheticConfig(**TINY_GENERATOR), nproc=1)
    return root
