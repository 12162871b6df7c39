"""Pool passes: run the model over a dataset, sharded over ranks, in batches.

A *pool* is anything with ``len(pool)``, ``pool.sample(idx)`` (one sample
as a test pipeline makes it: ``inputs`` and ``data_samples``) and
``pool.name``. :class:`TargetPool` views the active target dataset through
its acquisition pipeline (no labels); :class:`SourcePool` views a labelled
dataset through an evaluation pipeline (with labels, no augmentation).

:class:`PoolPass` runs the model (eval mode, no gradients) over this rank's
shard in batches of images of equal size, hands each image's named outputs
(:func:`mmada.models.acquisition_outputs.acquisition_outputs`) to a consumer
on the model's device, and returns what the consumer kept; :meth:`gather`
merges the ranks' results (small values). :meth:`PoolPass.run_rows` keeps
one vector per image in a table (:class:`PassRows`) that is assembled, in
bounded chunks of tensors, on the rank that needs it.
"""
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.dataset import Compose
from mmengine.dist import all_gather_object, get_dist_info, is_main_process
from mmengine.logging import print_log
from torch import Tensor

from mmada.models.acquisition_outputs import acquisition_outputs, check_output_names
from mmada.utils.dist import gather_rows

DEFAULT_SOURCE_PIPELINE = (dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                           dict(type='PackSegInputs'))


class TargetPool:
    """The target pool of an :class:`~mmada.datasets.ActiveTargetDataset`.

    Args:
        dataset: The active target dataset (its ``acquisition_pipeline``
            loads no labels).
    """
    name = 'target'

    def __init__(self, dataset) -> None:
        self.dataset = dataset
        self._shapes = None

    def __len__(self) -> int:
        return len(self.dataset)

    def sample(self, idx: int) -> dict:
        """Image ``idx`` prepared for scoring."""
        return self.dataset.acquisition_sample(idx)

    def shapes(self) -> List[Tuple[int, int]]:
        """(H, W) of every pool image (read from the image headers once)."""
        if self._shapes is None:
            from PIL import Image
            shapes = []
            for i in range(len(self.dataset)):
                with Image.open(self.dataset.img_path(i)) as im:
                    shapes.append((im.height, im.width))
            self._shapes = shapes
        return self._shapes


class SourcePool:
    """A labelled (source) dataset seen through an evaluation pipeline.

    Args:
        dataset: An mmseg dataset (``get_data_info``).
        pipeline: Transforms giving ``inputs`` and ``data_samples`` with
            ``gt_sem_seg``; no augmentation.
    """
    name = 'source'

    def __init__(self, dataset, pipeline: Sequence[dict] = DEFAULT_SOURCE_PIPELINE) -> None:
        self.dataset = dataset
        self.pipeline = Compose(list(pipeline))

    def __len__(self) -> int:
        return len(self.dataset)

    def sample(self, idx: int) -> dict:
        """Image ``idx`` with its labels."""
        return self.pipeline(self.dataset.get_data_info(idx))


class _Progress:
    """A progress bar on a terminal, a few log lines elsewhere (rank 0)."""

    def __init__(self, total: int, title: str) -> None:
        self.total, self.title, self.done = total, title, 0
        self.enabled = is_main_process() and total > 0 and bool(title)
        self.bar = None
        if self.enabled and sys.stdout.isatty():
            from mmengine.utils import ProgressBar
            self.bar = ProgressBar(total)
        self.next_log = 0.25

    def update(self, num: int = 1) -> None:
        if not self.enabled:
            return
        self.done += num
        if self.bar is not None:
            for _ in range(num):
                self.bar.update()
        elif self.done / self.total >= self.next_log or self.done == self.total:
            print_log(f'[active] {self.title} {self.done}/{self.total} images',
                      logger='current')
            while self.next_log <= self.done / self.total:
                self.next_log += 0.25


class PoolPass:
    """Runs a model over this rank's shard of a pool.

    Args:
        model: The (possibly wrapped) model; must be in eval mode.
        batch_size: Images per forward pass (images of one batch have the
            same size: a change of size starts a new batch).
    """

    def __init__(self, model, batch_size: int = 1) -> None:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f'batch_size must be a positive int, got {batch_size!r}')
        self.model = model
        self.batch_size = int(batch_size)

    @staticmethod
    def shard(pool) -> List[int]:
        """Indices of ``pool`` this rank handles (every world_size-th)."""
        rank, world_size = get_dist_info()
        return list(range(rank, len(pool), world_size))

    def _batches(self, pool, indices: Sequence[int]) -> Iterator[Tuple[List[int], dict]]:
        """Consecutive images of equal size, at most ``batch_size`` each."""
        batch: List[int] = []
        samples: List[dict] = []
        shape = None
        for idx in indices:
            sample = pool.sample(idx)
            size = tuple(sample['inputs'].shape[-2:])
            if batch and (size != shape or len(batch) == self.batch_size):
                yield batch, _collate(samples)
                batch, samples = [], []
            batch.append(idx)
            samples.append(sample)
            shape = size
        if batch:
            yield batch, _collate(samples)

    def run(self, pool, names: Sequence[str], consume: Callable[[int, dict], Any],
            indices: Optional[Sequence[int]] = None, title: str = '') -> Dict[int, Any]:
        """Hand every image's outputs to ``consume``; keep what it returns.

        Args:
            pool: A pool (see the module docstring).
            names: Model outputs ``consume`` needs.
            consume: ``fn(index, outputs) -> value``; ``None`` keeps nothing.
            indices: Images to visit (default: this rank's shard).
            title: Progress title (empty: no progress log).

        Returns:
            dict[int, Any]: index -> kept value, for this rank's images.
        """
        names = check_output_names(names, 'pool pass')
        indices = self.shard(pool) if indices is None else list(indices)
        progress = _Progress(len(indices), title)
        kept = {}
        for batch, data in self._batches(pool, indices):
            for idx, out in zip(batch, acquisition_outputs(self.model, data, names)):
                value = consume(idx, out)
                if value is not None:
                    kept[idx] = value
            progress.update(len(batch))
        return kept

    def run_rows(self, pool, names: Sequence[str], vector: Callable[[int, dict], Tensor],
                 dst: Optional[int] = 0, indices: Optional[Sequence[int]] = None,
                 title: str = '') -> Optional[Tensor]:
        """One vector per image of the pool, as a table on rank ``dst``.

        Args:
            pool: A pool.
            names: Model outputs ``vector`` needs.
            vector: ``fn(index, outputs) -> Tensor`` (the same size for
                every image).
            dst: The rank that receives the table; ``None``: every rank.
            indices: Images to visit (default: this rank's shard; other
                indices give a table of the whole pool with zero rows for
                the images no rank visited).
            title: Progress title.

        Returns:
            Tensor | None: (len(pool), d) rows in pool order on the
            receiving rank(s), ``None`` elsewhere.
        """
        indices = self.shard(pool) if indices is None else list(indices)
        rows = PassRows(indices, len(pool), dst)
        self.run(pool, names, lambda idx, out: rows.put(idx, vector(idx, out)), indices=indices,
                 title=title)
        return rows.gather()

    @staticmethod
    def gather(kept: Dict[int, Any]) -> Dict[int, Any]:
        """Merge every rank's kept values (the result is on every rank)."""
        if get_dist_info()[1] == 1:
            return dict(sorted(kept.items()))
        merged = {}
        for part in all_gather_object(kept):
            merged.update(part)
        return dict(sorted(merged.items()))


class PassRows:
    """One vector per image of a pool pass, kept where the table is wanted.

    The rank that receives the table writes each vector straight into its
    (pool, d) table; any other rank into a (shard, d) block that
    :meth:`gather` sends, a chunk at a time (:func:`gather_rows`). No rank
    holds more than its table (or block) plus a few chunks.

    Args:
        indices: The images this rank visits.
        total: Images of the pool.
        dst: The rank that receives the table; ``None``: every rank.
    """

    def __init__(self, indices: Sequence[int], total: int, dst: Optional[int] = 0) -> None:
        rank = get_dist_info()[0]
        self.indices, self.total, self.dst = list(indices), int(total), dst
        self.receives = dst is None or rank == dst
        self.slot = {idx: (idx if self.receives else j) for j, idx in enumerate(self.indices)}
        self.table: Optional[Tensor] = None

    def put(self, idx: int, vector: Tensor) -> None:
        """Keep image ``idx``'s vector (flattened, on the CPU).

        Args:
            idx: Pool index, one of ``indices``.
            vector: The image's values; every image gives as many.
        """
        vector = vector.detach().reshape(-1)
        if self.table is None:
            rows = self.total if self.receives else len(self.indices)
            self.table = torch.zeros((rows, vector.numel()), dtype=vector.dtype)
        if vector.numel() != self.table.shape[1]:
            raise ValueError(f'pool pass: image {idx} gave {vector.numel()} values, earlier '
                             f'images {self.table.shape[1]} (one vector size per pass)')
        self.table[self.slot[idx]] = vector.cpu()

    def gather(self) -> Optional[Tensor]:
        """The (pool, d) table on the receiving rank(s), ``None`` elsewhere."""
        rows = self.table if self.table is not None else torch.zeros((0, 0))
        return gather_rows(rows, torch.tensor(self.indices, dtype=torch.int64), self.total,
                           self.dst, in_place=self.receives)


def _collate(samples: List[dict]) -> dict:
    """A batch as mmengine's pseudo_collate makes it: lists of inputs/samples."""
    return dict(inputs=[s['inputs'] for s in samples],
                data_samples=[s['data_samples'] for s in samples])


class PoolPasses:
    """What a pool-level scorer's ``prepare_round`` may run (``info.passes``).

    Args:
        pool_pass: The round's :class:`PoolPass`.
        pools: Pool name (``'source'``, ``'target'``) -> pool.
    """

    def __init__(self, pool_pass: PoolPass, pools: Dict[str, Any]) -> None:
        self.pool_pass = pool_pass
        self.pools = pools

    def __len__(self) -> int:
        return len(self.pools)

    def pool(self, name: str):
        """The pool called ``name``; a clear error when there is none."""
        if name not in self.pools or self.pools[name] is None:
            raise ValueError(
                f"this run has no '{name}' pool (pools: {sorted(k for k, v in self.pools.items() if v)}); "
                'a source pass needs a TwoDomainDataset with a source dataset')
        return self.pools[name]

    def run(self, name: str, names: Sequence[str], consume: Callable[[int, dict], Any],
            gather: bool = True) -> Dict[int, Any]:
        """One pass over pool ``name`` (sharded); kept values of all ranks.

        Args:
            name: ``'source'`` or ``'target'``.
            names: Model outputs ``consume`` needs.
            consume: ``fn(index, outputs) -> value or None``; keep values
                small (per-image vectors, never per-pixel maps).
            gather: Merge all ranks' values (on every rank).

        Returns:
            dict[int, Any]: index -> kept value.
        """
        kept = self.pool_pass.run(self.pool(name), names, consume, title=f'{name} pass')
        return PoolPass.gather(kept) if gather else kept

    def run_rows(self, name: str, names: Sequence[str], vector: Callable[[int, dict], Tensor],
                 dst: Optional[int] = 0) -> Optional[Tensor]:
        """One pass over pool ``name``; one vector per image, as a table on ``dst``.

        For per-image vectors of a large pool (MADA's anchors): the table is
        assembled in bounded chunks on the rank that needs it
        (:meth:`PoolPass.run_rows`).

        Args:
            name: ``'source'`` or ``'target'``.
            names: Model outputs ``vector`` needs.
            vector: ``fn(index, outputs) -> Tensor``.
            dst: The receiving rank; ``None``: every rank.

        Returns:
            Tensor | None: (len(pool), d) on the receiving rank(s).
        """
        return self.pool_pass.run_rows(self.pool(name), names, vector, dst=dst,
                                       title=f'{name} pass')
