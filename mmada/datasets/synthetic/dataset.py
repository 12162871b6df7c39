"""The synthetic benchmark as an mmseg dataset (generated on first use)."""
import os.path as osp
from typing import Optional

from mmengine.dist import barrier, get_dist_info
from mmseg.datasets import CityscapesDataset

from mmada.registry import DATASETS
from .generator import SyntheticConfig, generate_benchmark
from .scene import DOMAINS


def _generate_once(root: str, cfg: SyntheticConfig) -> None:
    """Generate on rank 0 (if needed) while the other ranks wait."""
    rank, world_size = get_dist_info()
    if rank == 0:
        generate_benchmark(root, cfg)
    if world_size > 1:
        barrier()


@DATASETS.register_module()
class SyntheticCityscapesDataset(CityscapesDataset):
    """One domain of the embedded synthetic benchmark.

    Generates the whole benchmark under ``bench_root`` on first use (rank 0,
    the other ranks wait), then reads it exactly like Cityscapes.

    Args:
        bench_root: Folder of the benchmark (both domains).
        domain: ``'source'`` or ``'target'``.
        generator: Overrides of :class:`SyntheticConfig` (sizes, seed,
            ``preset``: ``'default'`` or ``'hard'``).
        **kwargs: Arguments of mmseg's ``CityscapesDataset`` (``data_prefix``,
            ``pipeline``, ...); ``data_root`` is set to
            ``<bench_root>/<domain>``.
    """

    def __init__(self, bench_root: str = 'data/synthetic', domain: str = 'source',
                 generator: Optional[dict] = None, **kwargs) -> None:
        if domain not in DOMAINS:
            raise ValueError(f'domain must be one of {DOMAINS}, got {domain!r}')
        self.generator_cfg = SyntheticConfig(**(generator or {}))
        _generate_once(bench_root, self.generator_cfg)
        kwargs['data_root'] = osp.join(bench_root, domain)
        super().__init__(**kwargs)
