"""Shared by the benchmark scripts that train tiny runs of shipped configs.

A shipped synthetic config is shrunk to the tiny benchmark (64x128 images,
12 target images), loaded without workers and without pretrained weights,
so that a run takes seconds.
"""
import os.path as osp
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The tiny synthetic benchmark (also the test suite's).
GENERATOR = dict(height=64, width=128, seed=0,
                 num_images={'source': {'train': 12, 'val': 4}, 'target': {'train': 12, 'val': 6}})


def generate(bench_root: str) -> str:
    """Generate the tiny benchmark under ``bench_root`` (once); return it."""
    from mmada.datasets.synthetic import SyntheticConfig, generate_benchmark
    generate_benchmark(bench_root, SyntheticConfig(**GENERATOR), nproc=1, verbose=False)
    return bench_root


def walk_dicts(obj):
    """Every dict nested in a config value (depth first)."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from walk_dicts(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from walk_dicts(v)


def tiny_config(config: str, bench_root: str, max_iters: int, validate: bool = True,
                checkpoint_interval: Optional[int] = None):
    """Load ``config`` (relative to the repository) shrunk to the tiny benchmark.

    Args:
        config: A shipped synthetic config.
        bench_root: Where :func:`generate` put the benchmark.
        max_iters: Iterations of the run (poly schedule to 0 there).
        validate: Keep the validation at the end (else no val / test parts).
        checkpoint_interval: Checkpoint every so many iterations (default:
            at the end only).

    Returns:
        mmengine.Config: The config, to adjust further and dump.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config))
    for d in walk_dicts(cfg._cfg_dict):
        if str(d.get('type', '')).endswith('SyntheticCityscapesDataset'):
            d['bench_root'], d['generator'] = bench_root, dict(GENERATOR)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            cfg[key]['num_workers'] = 0
            cfg[key]['persistent_workers'] = False
    if not validate:
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                    'test_evaluator'):
            cfg[key] = None
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=max_iters,
                                by_epoch=False, eta_min=0.0)]
    cfg.default_hooks.checkpoint.interval = checkpoint_interval or max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0, deterministic=False)
    cfg.load_from = None
    return cfg
