"""One acquisition round: score -> unit greedy -> allocate -> queries -> oracle -> commit.

Every rank scores its shard of the target pool (:class:`PoolPass`) and keeps
only each image's greedy candidates inside its allocator; rank 0 merges the
ranks' allocators, turns the picks into queries (the units' footprints on
unlabelled pixels), pseudo labels and exclusions, asks the oracle and commits
the round to the label store; the round's record is broadcast to all ranks.
Used by :class:`~mmada.engine.hooks.ActiveLearningHook` (during training) and
``tools/select.py`` (offline).
"""
import math
import time
from contextlib import contextmanager
from functools import partial
from typing import Dict, Iterator, Optional, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather_object, barrier, broadcast_object_list, get_dist_info

from mmada.active.base import ImageContext, RoundInfo
from mmada.active.budget import Budget
from mmada.active.cbda import imbalance_score
from mmada.models.acquisition_outputs import check_output_names
from mmada.registry import ALLOCATORS, ORACLES
from mmada.utils.errors import UserFacingError
from .pool import PoolPass, PoolPasses, TargetPool


def image_seed(seed: int, round_index: int, idx: int) -> int:
    """Seed of one image and round, independent of sharding."""
    return int(np.random.SeedSequence([seed, round_index, idx]).generate_state(1)[0])


def image_context(seed: int, round_index: int, idx: int, labelled: torch.Tensor,
                  image_path: Optional[str] = None) -> ImageContext:
    """The :class:`ImageContext` of image ``idx`` (the same on every rank).

    Args:
        seed: The schedule's seed.
        round_index: 1-based round.
        idx: Absolute dataset index.
        labelled: (H, W) bool pixels labelled before this round.
        image_path: The image file; ``ctx.image()`` reads it when a piece asks.
    """
    value = image_seed(seed, round_index, idx)
    g = torch.Generator()
    g.manual_seed(value)
    loader = None if image_path is None else partial(read_rgb, image_path)
    return ImageContext(index=idx, labelled=labelled, generator=g, seed=value,
                        image_loader=loader)


def read_rgb(path: str) -> torch.Tensor:
    """An image file as a (3, H, W) uint8 RGB tensor (its full resolution).

    Args:
        path: Image file.

    Returns:
        torch.Tensor: The pixels, channels first.
    """
    import mmcv
    img = mmcv.imread(path, channel_order='rgb')
    if img is None:
        raise UserFacingError(f'cannot read the image {path}')
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


@contextmanager
def cpu_threads(num: Optional[int]) -> Iterator[None]:
    """Run the block with at most ``num`` intra-op CPU threads of torch.

    Scoring and greedy selection are many short kernels over one image's
    maps; with several intra-op threads every kernel ends in a join, which
    costs more than the arithmetic as soon as another process holds a core
    (measured on the 2-core machine: a 19-class entropy map took 2.5 ms on
    one thread, 5 ms on two idle ones and up to 440 ms on two busy ones).
    One thread also makes the scores independent of the thread count (a
    vectorised kernel's scalar tail falls on different pixels when its work
    is split differently).

    Args:
        num: Thread limit; ``None`` leaves torch's setting alone.
    """
    before = torch.get_num_threads()
    if num is None or num >= before:
        yield
        return
    torch.set_num_threads(num)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class AcquisitionRound:
    """The pieces of a schedule's rounds and how to run one.

    Args:
        scorer: Built scorer (declares ``inputs``).
        unit: Built selection unit.
        allocator: Allocator config (a fresh allocator per round and rank).
        oracle: Oracle config; ``None`` exports queries for annotators.
        budget: The schedule's budget.
        seed: Seed of random scorers and units (with round and image index).
        batch_size: Images per forward pass while scoring.
        num_vis: Images drawn with their queried areas per round.
        score_threads: Intra-op CPU threads of torch while one image is
            scored and its units selected (the forward pass keeps torch's
            setting; see :func:`cpu_threads`); ``None`` to leave it alone.
    """

    def __init__(self, scorer, unit, allocator: dict, oracle: Optional[dict], budget: Budget,
                 seed: int = 0, batch_size: int = 1, num_vis: int = 4,
                 score_threads: Optional[int] = 1) -> None:
        self.scorer, self.unit, self.budget = scorer, unit, budget
        if budget.value == 0 and not getattr(unit, 'makes_pseudo_labels', False):
            raise ValueError(f'a budget of 0 asks for nothing: it needs a unit that makes pseudo '
                             f'labels (e.g. GridPointsUnit(pseudo=...)), got {type(unit).__name__}')
        self.allocator_cfg = dict(allocator)
        ALLOCATORS.build(self.allocator_cfg).check_budget(budget)
        self.oracle_cfg = None if oracle is None else dict(oracle)
        self.seed, self.batch_size, self.num_vis = int(seed), int(batch_size), int(num_vis)
        if score_threads is not None and (int(score_threads) != score_threads
                                          or score_threads < 1):
            raise ValueError(f'score_threads must be a positive int or None, got '
                             f'{score_threads!r}')
        self.score_threads = None if score_threads is None else int(score_threads)
        self.inputs = check_output_names(getattr(scorer, 'inputs', ('probs', )),
                                         type(scorer).__name__)
        if getattr(unit, 'makes_pseudo_labels', False) and 'probs' not in self.inputs:
            self.inputs = self.inputs + ('probs', )

    # ------------------------------------------------------------ running
    @torch.no_grad()
    def run(self, model, target: TargetPool, store, round_index: int, work_dir: str,
            source=None, logger=None) -> dict:
        """Select, annotate and commit round ``round_index`` (all ranks call it).

        Args:
            model: The (possibly wrapped) model.
            target: The target pool.
            store: The label store (read on every rank, written on rank 0).
            round_index: 1-based round; must be the store's next one.
            work_dir: Where pictures and exported queries go.
            source: The source pool, for pool-level scorers (or ``None``).
            logger: Logger for the round summary.

        Returns:
            dict: The round's record (the same on every rank).
        """
        start = time.time()
        was_training = model.training
        model.eval()
        try:
            pool_pass = PoolPass(model, self.batch_size)
            info = self.round_info(target, store, round_index)
            info.passes = PoolPasses(pool_pass, dict(target=target, source=source))
            info.work_dir = work_dir
            self.scorer.prepare_round(info)
            local = self._score_shard(pool_pass, target, store, round_index)
        finally:
            if was_training:
                model.train()
        world_size = get_dist_info()[1]
        gathered = all_gather_object(local) if world_size > 1 else [local]
        record = {}
        if get_dist_info()[0] == 0:
            record = self._decide_and_commit(gathered, target, store, round_index, work_dir)
            record['time_s'] = round(time.time() - start, 2)
            if world_size > 1:  # how the pool was shared (every rank scores its shard)
                record['images_per_rank'] = [len(part_meta) for _, part_meta in gathered]
        box = [record]
        if world_size > 1:
            barrier()
            broadcast_object_list(box)
        if logger is not None:
            logger.info(format_record(box[0]))
        return box[0]

    def round_info(self, target: TargetPool, store, round_index: int) -> RoundInfo:
        """Global facts of the round (identical on every rank)."""
        return RoundInfo(
            round_index=round_index,
            num_rounds=self.budget.num_rounds,
            num_classes=store.num_classes,
            pool_pixels=int(sum(h * w for h, w in target.shapes())),
            budget_ratio=self.budget.ratio,
            labelled_per_class=torch.from_numpy(store.class_counts().astype(np.int64)))

    def _score_shard(self, pool_pass: PoolPass, target: TargetPool, store,
                     round_index: int) -> Tuple[object, Dict[int, tuple]]:
        """Score this rank's images; keep the allocator and per-image meta."""
        shapes = target.shapes()
        allocator = ALLOCATORS.build(self.allocator_cfg)
        allocator.start_round(self.budget, self.unit, shapes, round_index)
        meta = {}

        def consume(idx: int, outputs: dict):
            with cpu_threads(self.score_threads):
                return consume_image(idx, outputs)

        def consume_image(idx: int, outputs: dict):
            shape = shapes[idx]
            pred = outputs.get('probs', outputs.get('logits'))
            if pred is not None and tuple(pred.shape[-2:]) != shape:
                raise UserFacingError(
                    f'prediction of {target.dataset.img_path(idx)} is {tuple(pred.shape[-2:])}, '
                    f'its image is {shape}: the acquisition pipeline must keep ori_shape')
            key = target.dataset.key(idx)
            state = store.read(key, shape)
            labelled = torch.from_numpy(state.rounds > 0)
            ctx = image_context(self.seed, round_index, idx, labelled,
                                target.dataset.img_path(idx))
            score = self.scorer(ctx=ctx, **{n: outputs[n] for n in self.scorer.inputs})
            if tuple(score.shape) != shape:
                raise UserFacingError(
                    f'{type(self.scorer).__name__} returned a {tuple(score.shape)} score map '
                    f'for {target.dataset.img_path(idx)}, whose labels are {shape}')
            allocator.begin_image(idx, shape)
            if self.unit.maskable and allocator.threshold > -math.inf:
                # Scores below the dataset-wide cut can never be picked: masking
                # them only shortens this image's greedy sequence (same result).
                score = score.masked_fill(score < allocator.threshold, -math.inf)
            excluded = torch.from_numpy(state.excluded).to(score.device)
            scores, positions = _select(self.unit, score, excluded, allocator.max_units(), ctx)
            allocator.push(idx, scores, positions, costs=self.unit.cost(positions, shape, ctx))
            meta[idx] = (key, shape, self._pseudo_candidates(outputs, shape, ctx, state))
            return None

        pool_pass.run(target, self.inputs, consume, title=f'round {round_index}: scoring')
        return allocator, meta

    def _pseudo_candidates(self, outputs: dict, shape, ctx, state):
        """(positions, predicted labels) of the unit's pseudo-label pixels."""
        if not getattr(self.unit, 'makes_pseudo_labels', False):
            return None
        positions = self.unit.pseudo_candidates(shape, ctx)
        if positions is None or positions.numel() == 0:
            return None
        positions = positions.to(torch.int64).cpu()
        fresh = torch.from_numpy(state.rounds.reshape(-1) == 0)[positions]
        positions = positions[fresh]
        labels = outputs['probs'].argmax(0).reshape(-1)[positions.to(outputs['probs'].device)]
        return positions.numpy(), labels.to(torch.uint8).cpu().numpy()

    # ------------------------------------------------------------ rank 0
    @staticmethod
    def _merge(gathered: list):
        allocator, meta = None, {}
        for part, part_meta in gathered:
            meta.update(part_meta)
            if allocator is None:
                allocator = part
            else:
                allocator.merge(part)
        return allocator.result(), meta

    def _decide_and_commit(self, gathered: list, target: TargetPool, store,
                           round_index: int, work_dir: str) -> dict:
        """Rank 0: turn picks into queries, ask the oracle, commit the round."""
        picks, meta = self._merge(gathered)
        queries, excluded, pseudo, units = {}, {}, {}, 0
        for idx in sorted(set(picks) | {i for i, m in meta.items() if m[2] is not None}):
            key, shape, candidates = meta[idx]
            state = store.read(key, shape)
            fresh = torch.from_numpy(state.rounds == 0)
            ctx = image_context(self.seed, round_index, idx, ~fresh,
                                target.dataset.img_path(idx))
            positions = picks.get(idx, torch.zeros(0, dtype=torch.int64))
            footprint = self.unit.footprint(positions, shape, ctx).cpu()
            exclusion = self.unit.exclusion(positions, shape, ctx).cpu()
            mask = footprint & fresh
            queries[key] = (shape, mask.flatten().nonzero().flatten().numpy())
            excluded[key] = exclusion.flatten().nonzero().flatten().numpy()
            units += int(positions.numel())
            if candidates is not None:
                # Human labels win: no pseudo label inside a pick's footprint or
                # exclusion (e.g. the rest of a picked patch), nor on labelled pixels.
                pixels, labels = candidates
                taken = (footprint | exclusion).flatten().numpy()
                keep = ~taken[pixels]
                page = np.full(shape[0] * shape[1], store.ignore_index, np.uint8)
                page[pixels[keep]] = labels[keep]
                pseudo[key] = page.reshape(shape)
        num_queried = int(sum(q[1].size for q in queries.values()))
        store.save_queries(round_index, queries,
                           meta=dict(units=units, pixels=num_queried,
                                     query_format=getattr(self.unit, 'query_format', 'masks')),
                           excluded=excluded, **(dict(pseudo=pseudo) if pseudo else {}))
        oracle = ORACLES.build(dict(self.oracle_cfg or dict(type='ExportOracle')))
        oracle.bind(target.dataset, work_dir)
        digest = oracle.answer_round(store, round_index)
        record = dict(round=round_index, units=units, queried_pixels=num_queried,
                      images=sum(1 for q in queries.values() if q[1].size))
        if pseudo:
            record['pseudo_pixels'] = int(sum((p != store.ignore_index).sum()
                                              for p in pseudo.values()))
        if digest is None:
            record['pending_round'] = round_index
            return record
        counts = store.class_counts()
        pool = sum(h * w for h, w in target.shapes())
        record.update(
            labelled_pixels=int(store.num_labelled()),
            labelled_percent=100.0 * store.num_labelled() / pool,
            per_class={name: int(c) for name, c in
                       zip(target.dataset.metainfo['classes'], counts)},
            imbalance=imbalance_score(torch.from_numpy(counts.astype(np.float64))),
            digest=digest)
        self._draw(target, store, queries, round_index, work_dir)
        return record

    def _draw(self, target: TargetPool, store, queries: dict, round_index: int,
              work_dir: str) -> None:
        """Save the queried areas over a few images, and the class histogram."""
        import os.path as osp
        queries = {k: q for k, q in queries.items() if q[1].size}
        if self.num_vis <= 0 or not queries:
            return
        from mmada.visualization import (draw_class_histogram, draw_queries,
                                         draw_selection_distribution, selected_percentages)
        out_dir = osp.join(work_dir, 'active_vis')
        # CBDA Appendix A: how the labelled pixels are spread over the pool's images.
        annotated = store.annotated_per_image()
        keys = target.dataset.keys()
        draw_selection_distribution(
            selected_percentages([annotated.get(k, 0) for k in keys],
                                 [h * w for h, w in target.shapes()]),
            osp.join(out_dir, f'selection_distribution_round_{round_index:04d}.png'),
            title=f'pixels labelled per image after round {round_index}')
        keys = sorted(queries)[:self.num_vis]
        index = {k: i for i, k in enumerate(target.dataset.keys())}
        draw_queries([target.dataset.img_path(index[k]) for k in keys],
                     [queries[k] for k in keys],
                     osp.join(out_dir, f'queries_round_{round_index:04d}.png'))
        draw_class_histogram(store.class_counts(), target.dataset.metainfo['classes'],
                             osp.join(out_dir, f'class_histogram_round_{round_index:04d}.png'),
                             title=f'active labels after round {round_index}')


def _select(unit, score, excluded, max_units: int, ctx: ImageContext):
    """``unit.select`` (with the image's context), or ``greedy`` for units
    written against the older interface without ``select``."""
    select = getattr(unit, 'select', None)
    if select is None:
        return unit.greedy(score, excluded, max_units)
    return select(score, excluded, max_units, ctx)


def format_record(record: dict) -> str:
    """One or two log lines for a round's record."""
    if not record:
        return ''
    if record.get('pending_round'):
        return (f'[active] round {record["round"]}: {record["queried_pixels"]} pixels '
                f'queried in {record["images"]} images, waiting for annotation')
    per_class = ', '.join(f'{k}={v}' for k, v in record['per_class'].items())
    pseudo = (f'; {record["pseudo_pixels"]} pseudo-labelled pixels (not budget)'
              if record.get('pseudo_pixels') else '')
    ranks = (f' (images scored per rank: {"/".join(map(str, record["images_per_rank"]))})'
             if record.get('images_per_rank') else '')
    return (f'[active] round {record["round"]}: {record["units"]} units, '
            f'{record["queried_pixels"]} pixels queried in {record["images"]} images; '
            f'labelled {record["labelled_pixels"]} pixels '
            f'({record["labelled_percent"]:.3f}% of the pool){pseudo}; imbalance '
            f'{record["imbalance"]:.4f}; {record["time_s"]:.1f} s{ranks}\n'
            f'[active] labelled pixels per class: {per_class}')
