"""The acquisition hook: runs active learning rounds during training."""
import math
import os.path as osp
import shutil
import sys
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import (all_gather_object, barrier, broadcast_object_list,
                           get_dist_info, is_main_process)
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmada.active.allocators import PerImageAllocator
from mmada.active.base import ImageContext, RoundInfo
from mmada.active.budget import Budget
from mmada.active.cbda import imbalance_score
from mmada.active import oracles as _oracles  # noqa: F401 (registers oracles)
from mmada.registry import ACQUISITIONS, HOOKS
from mmada.utils.errors import AnnotationRequired, UserFacingError

CKPT_KEY = 'active_learning'
_REQUIRED = ('rounds', 'budget', 'scorer', 'unit')
DEFAULTS = dict(
    allocator=dict(type='PerImageAllocator'),
    oracle=dict(type='GroundTruthOracle'),
    seed=0,
    num_vis=4)


class _Progress:
    """A progress bar on a terminal, a few log lines elsewhere (rank 0)."""

    def __init__(self, total: int, title: str) -> None:
        self.total, self.title, self.done = total, title, 0
        self.enabled = is_main_process() and total > 0
        self.bar = None
        if self.enabled and sys.stdout.isatty():
            from mmengine.utils import ProgressBar
            self.bar = ProgressBar(total)
        self.next_log = 0.25

    def update(self) -> None:
        if not self.enabled:
            return
        self.done += 1
        if self.bar is not None:
            self.bar.update()
        elif self.done / self.total >= self.next_log or self.done == self.total:
            print_log(f'[active] {self.title} {self.done}/{self.total} images',
                      logger='current')
            self.next_log += 0.25


def find_active_dataset(dataset):
    """The :class:`ActiveTargetDataset` inside a (wrapped) training dataset."""
    from mmada.datasets.active_dataset import ActiveTargetDataset
    if isinstance(dataset, ActiveTargetDataset):
        return dataset
    for attr in ('target', 'dataset'):
        inner = getattr(dataset, attr, None)
        if inner is not None:
            found = find_active_dataset(inner)
            if found is not None:
                return found
    return None


@HOOKS.register_module()
class ActiveLearningHook(Hook):
    """Runs acquisition rounds at given iterations and grows the label store.

    A round (after the optimiser step of iteration ``it`` in ``rounds``):

    1. every rank scores its shard of the target pool with the current
       weights in eval mode (``scorer`` on the softmax at label resolution),
       and keeps only each image's greedy candidates (``unit.greedy``);
    2. the candidates are gathered on rank 0, which lets the ``allocator``
       spend the round's budget, asks the ``oracle`` for the labels of the
       picked pixels and commits the round to the store atomically;
    3. all ranks wait (barrier); dataloader workers read the new labels from
       disk on their next sample.

    The round, budget spent and store digest are saved in every checkpoint;
    ``--resume`` restores the store to exactly the checkpoint's rounds.

    Settings come from the constructor or, for those left ``None``, from the
    config's top-level ``active_learning`` dict (see :meth:`configure`);
    ``rounds`` defaults to the config's ``active_rounds``, which the
    ``schedule_*_active.py`` schedules set (MMEngine forbids two ``_base_``
    files defining the same key, so schedule and method keep apart).

    Args:
        rounds: Iterations (1-based, as logged) after which a round runs.
        budget: Budget config, see :class:`mmada.active.budget.Budget`.
        scorer: Scorer config (registry ``ACQUISITIONS``).
        unit: Selection unit config.
        allocator: Allocator config (equal share per image or dataset-wide).
        oracle: Oracle config; ``GroundTruthOracle`` simulates annotators,
            ``None`` exports the queries to ``<work_dir>/queries/round_XXXX``
            and stops training for human annotation.
        seed: Seed of random scorers (combined with round and image index).
        num_vis: Number of images drawn with their queried areas per round.
        cfg_key: Name of the config section with the settings.
    """
    priority = 'LOW'  # after the optimiser step, before CheckpointHook

    def __init__(self,
                 rounds: Optional[Sequence[int]] = None,
                 budget: Optional[dict] = None,
                 scorer: Optional[dict] = None,
                 unit: Optional[dict] = None,
                 allocator: Optional[dict] = None,
                 oracle: Optional[dict] = None,
                 seed: Optional[int] = None,
                 num_vis: Optional[int] = None,
                 cfg_key: str = 'active_learning') -> None:
        self._args = dict(rounds=rounds, budget=budget, scorer=scorer, unit=unit,
                          allocator=allocator, oracle=oracle, seed=seed, num_vis=num_vis)
        self.cfg_key = cfg_key
        self.store = None
        self.dataset = None
        self.pending_round = 0
        self._pool_shapes = None
        if all(v is not None for k, v in self._args.items() if k in _REQUIRED):
            self._configure_or_explain({})

    def configure(self, cfg_section: dict) -> None:
        """Build the acquisition pieces; refuse bad settings before training.

        Arguments given to the constructor win over ``cfg_section`` (the
        config's top-level ``active_learning`` dict, which merges across
        ``_base_`` files: schedules set ``rounds``, methods the rest).

        Args:
            cfg_section: Settings from the config.
        """
        args = dict(DEFAULTS)
        args.update({k: v for k, v in dict(cfg_section).items()})
        args.update({k: v for k, v in self._args.items() if v is not None})
        unknown = sorted(set(args) - set(DEFAULTS) - set(_REQUIRED))
        if unknown:
            raise ValueError(f'ActiveLearningHook: unknown settings {unknown}')
        missing = [k for k in _REQUIRED if args.get(k) is None]
        if missing:
            raise ValueError(
                f'ActiveLearningHook: missing {missing}; give them to the hook or '
                f'in the config section `{self.cfg_key} = dict(...)`')
        rounds = [int(r) for r in args['rounds']]
        if not rounds or any(r <= 0 for r in rounds) or sorted(set(rounds)) != rounds:
            raise ValueError(f'rounds must be increasing positive iterations, got {rounds}')
        self.rounds = rounds
        self.budget = Budget(**args['budget'], num_rounds=len(rounds))
        self.scorer = ACQUISITIONS.build(args['scorer'])
        self.unit = ACQUISITIONS.build(args['unit'])
        self.allocator_cfg = dict(args['allocator'])
        ACQUISITIONS.build(self.allocator_cfg)  # fail early on config errors
        self.oracle_cfg = args['oracle']
        self.seed = int(args['seed'])
        self.num_vis = int(args['num_vis'])
        self.settings = args

    def _configure_or_explain(self, section: dict) -> None:
        try:
            self.configure(section)
        except (ValueError, KeyError, TypeError) as err:
            raise UserFacingError(f'invalid active learning settings: {err}') from err

    # ------------------------------------------------------------------ setup
    def before_run(self, runner) -> None:
        """Configure, find the active dataset, open (or archive) its store."""
        self.attach(runner, archive_existing=not runner._resume)

    def attach(self, runner, archive_existing: bool) -> None:
        """Configure from ``runner.cfg`` and open the label store.

        Args:
            runner: The runner (its train loop must be buildable).
            archive_existing: Move a non-empty store aside (a new run must
                not continue on the labels of an earlier one).
        """
        from mmada.active.label_store import LabelStore
        section = dict(runner.cfg.get(self.cfg_key, {}))
        if 'rounds' not in section and runner.cfg.get('active_rounds') is not None:
            section['rounds'] = runner.cfg.active_rounds
        self._configure_or_explain(section)
        loop = runner.train_loop
        self.dataset = find_active_dataset(loop.dataloader.dataset)
        if self.dataset is None:
            raise UserFacingError(
                'ActiveLearningHook needs an ActiveTargetDataset in '
                'train_dataloader (as target of a TwoDomainDataset or alone).')
        if self.dataset.label_store_dir is None:
            raise UserFacingError(
                "ActiveLearningHook: use train_cfg=dict(type='ActiveIterBasedTrainLoop') "
                'so the label store is placed under the work dir.')
        if max(self.rounds) > loop.max_iters:
            raise UserFacingError(
                f'ActiveLearningHook: round iterations {self.rounds} exceed '
                f'max_iters={loop.max_iters}.')
        try:
            self.budget.check_pool(self._shapes())
        except ValueError as err:
            raise UserFacingError(f'invalid active learning budget: {err}') from err
        root = self.dataset.label_store_dir
        if is_main_process() and archive_existing and LabelStore.exists(root):
            store = LabelStore(root)
            if store.current_round > 0:
                backup = f'{root}.bak-{time.strftime("%Y%m%d_%H%M%S")}'
                shutil.move(root, backup)
                runner.logger.warning(
                    f'A new (not resumed) run found a label store with '
                    f'{store.current_round} rounds; it was moved to {backup}.')
        barrier()
        self.store = LabelStore(root, num_classes=self._num_classes(),
                                ignore_index=self.dataset.ignore_index)

    def _num_classes(self) -> int:
        return len(self.dataset.metainfo['classes'])

    # ------------------------------------------------------------ checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the store's round, budget spent and digest."""
        state = self.store.state_dict()
        state['pending_round'] = self.pending_round
        checkpoint.setdefault('meta', {})[CKPT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Bring the label store back to the checkpoint's rounds."""
        if not runner._resume or self.store is None:
            return
        from mmada.active.label_store import LabelStoreError, chain_digest
        state = checkpoint.get('meta', {}).get(CKPT_KEY)
        if state is None:  # a checkpoint from before any round
            state = dict(round=0, digest=chain_digest([]), round_digests=[])
        pending = int(state.get('pending_round', 0))
        if pending and self.store.current_round == pending:
            # Annotations of the exported round were imported while stopped.
            if self.store.digest(upto_round=pending - 1) != state['digest']:
                raise UserFacingError(
                    f'Label store {self.store.root} does not match the checkpoint '
                    f'(rounds 1..{pending - 1} differ); refusing to resume.')
            self.pending_round = 0
            return
        if pending and self.store.current_round == pending - 1 and \
                self.store.has_queries(pending):
            raise AnnotationRequired(
                f'round {pending} is still waiting for annotations: run '
                f'tools/import_annotations.py {self.store.root} --round {pending} '
                'ANNOTATION_DIR, then --resume again.')
        if pending:
            raise UserFacingError(
                f'the checkpoint waits for the annotations of round {pending}, but '
                f'the label store {self.store.root} has neither that round nor its '
                'queries; resume from an earlier checkpoint.')
        if is_main_process():
            try:
                self.store.restore(state)
            except LabelStoreError as err:
                raise UserFacingError(f'cannot resume: {err}') from err
        barrier()
        self.store = type(self.store)(self.store.root, num_classes=self._num_classes(),
                                      ignore_index=self.store.ignore_index)

    # ----------------------------------------------------------------- rounds
    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Run a round when the iteration just finished is in ``rounds``."""
        it = runner.iter + 1
        if it not in self.rounds:
            return
        round_index = self.rounds.index(it) + 1
        if self.store.current_round >= round_index:
            return  # already done (resumed after this round)
        if self.pending_round:
            raise UserFacingError(
                f'Round {self.pending_round} is waiting for annotations: import '
                'them with tools/import_annotations.py, then --resume.')
        self.run_round(runner.model, round_index, runner.work_dir, runner.logger)
        if self.pending_round:
            self._stop_for_annotation(runner, it, round_index)

    def _stop_for_annotation(self, runner, it: int, round_index: int) -> None:
        """Checkpoint (marking the round pending) and stop the run."""
        filename = f'iter_{it}.pth'
        runner.save_checkpoint(runner.work_dir, filename, save_optimizer=True,
                               save_param_scheduler=True)
        if is_main_process():
            from mmada.engine.checkpoint import write_last_checkpoint
            write_last_checkpoint(runner.work_dir, osp.join(runner.work_dir, filename))
        barrier()
        raise AnnotationRequired(
            f'queries of round {round_index} are in '
            f'{self._query_dir(runner.work_dir, round_index)}: annotate them, run '
            f'tools/import_annotations.py {self.store.root} --round {round_index} '
            'ANNOTATION_DIR, then train again with --resume.')

    def _query_dir(self, work_dir: str, round_index: int) -> str:
        return osp.join(work_dir, 'queries', f'round_{round_index:04d}')

    @torch.no_grad()
    def run_round(self, model, round_index: int, work_dir: str, logger=None) -> dict:
        """Select, annotate and commit one round (callable offline too).

        Args:
            model: The (possibly wrapped) segmentor.
            round_index: 1-based round to run; must be the store's next one.
            work_dir: Where pictures and exported queries go.
            logger: Logger for the round summary.

        Returns:
            dict: The round's log record (on rank 0; ``{}`` elsewhere).
        """
        start = time.time()
        module = model.module if is_model_wrapper(model) else model
        was_training = module.training
        module.eval()
        rank, world_size = get_dist_info()
        info = self._round_info(round_index)
        self.scorer.prepare_round(info)
        indices = list(range(rank, len(self.dataset), world_size))
        local = self._score_shard(model, indices, round_index)
        gathered = all_gather_object(local) if world_size > 1 else [local]
        record = {}
        if rank == 0:
            record = self._decide_and_commit(gathered, round_index, work_dir)
            record['time_s'] = round(time.time() - start, 2)
        box = [record]
        if world_size > 1:
            barrier()
            broadcast_object_list(box)
        record = box[0]
        self.pending_round = record.get('pending_round', 0)
        self.store = type(self.store)(self.store.root, num_classes=self._num_classes(),
                                      ignore_index=self.store.ignore_index)
        if was_training:
            module.train()
        if logger is not None:
            logger.info(self._format_record(record))
        return record

    def _round_info(self, round_index: int) -> RoundInfo:
        shapes = self._shapes()
        pool_pixels = int(sum(h * w for h, w in shapes))
        return RoundInfo(
            round_index=round_index,
            num_rounds=len(self.rounds),
            num_classes=self._num_classes(),
            pool_pixels=pool_pixels,
            budget_ratio=self.budget.ratio,
            labelled_per_class=torch.from_numpy(
                self.store.class_counts().astype(np.int64)))

    def _shapes(self) -> List[Tuple[int, int]]:
        """(H, W) of every pool image (read from the image headers once)."""
        if self._pool_shapes is None:
            from PIL import Image
            shapes = []
            for i in range(len(self.dataset)):
                with Image.open(self.dataset.img_path(i)) as im:
                    shapes.append((im.height, im.width))
            self._pool_shapes = shapes
        return self._pool_shapes

    def _score_shard(self, model, indices: List[int], round_index: int):
        """Score this rank's images; return what rank 0 needs to decide.

        Returns:
            tuple: (per-image picks or a dataset-wide allocator, image meta).
        """
        shapes = self._shapes()
        allocator = ACQUISITIONS.build(self.allocator_cfg)
        per_image = isinstance(allocator, PerImageAllocator)
        if not per_image:
            allocator.reset(self.budget.round_units(shapes, self.unit, round_index))
        picks, meta = {}, {}
        progress = _Progress(len(indices), f'round {round_index}: scoring')
        for idx in indices:
            probs = self._predict(model, idx)
            shape = tuple(probs.shape[1:])
            if shape != shapes[idx]:
                raise UserFacingError(
                    f'prediction of {self.dataset.img_path(idx)} is {shape}, its image '
                    f'is {shapes[idx]}: the acquisition pipeline must keep ori_shape')
            key = self.dataset.key(idx)
            state = self.store.read(key, shape)
            # Positions excluded by earlier picks (their units' exclusion()); the
            # footprint of a new pick is clipped to unlabelled pixels on rank 0.
            excluded = torch.from_numpy(state.excluded)
            ctx = ImageContext(index=idx, labelled=torch.from_numpy(state.rounds > 0),
                               generator=self._generator(round_index, idx))
            score = self.scorer(probs, ctx)
            if per_image:
                allocator.reset(self.budget.units_per_image(shape, self.unit, round_index))
            elif getattr(self.unit, 'reduce', None) is None and allocator.threshold > -math.inf:
                # Scores below the dataset-wide cut can never be picked: masking
                # them only shortens this image's greedy sequence (same result).
                score = score.masked_fill(score < allocator.threshold, -math.inf)
            scores, positions = self.unit.greedy(score, excluded, allocator.max_units())
            allocator.push(idx, scores, positions, costs=self.unit.cost(positions, shape))
            if per_image:
                picks.update(allocator.result())
            meta[idx] = (key, shape)
            progress.update()
        return (picks if per_image else allocator), meta

    def _predict(self, model, idx: int) -> torch.Tensor:
        """(C, H, W) softmax of image ``idx`` at its original resolution."""
        sample = self.dataset.acquisition_sample(idx)
        data = dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']])
        pred = model.test_step(data)[0]
        return pred.seg_logits.data.float().softmax(0).cpu()

    def _generator(self, round_index: int, idx: int) -> torch.Generator:
        """Random generator of one image and round, independent of sharding."""
        g = torch.Generator()
        seed = np.random.SeedSequence([self.seed, round_index, idx]).generate_state(1)[0]
        g.manual_seed(int(seed))
        return g

    def _merge(self, gathered: list):
        picks, meta = {}, {}
        allocator = None
        for part, part_meta in gathered:
            meta.update(part_meta)
            if isinstance(part, dict):
                picks.update(part)
            elif allocator is None:
                allocator = part
            else:
                allocator.merge(part)
        if allocator is not None:
            picks = allocator.result()
        return picks, meta

    def _decide_and_commit(self, gathered: list, round_index: int, work_dir: str) -> dict:
        """Rank 0: turn picks into queries, ask the oracle, commit the round."""
        picks, meta = self._merge(gathered)
        queries, excluded, units = {}, {}, 0
        for idx, positions in sorted(picks.items()):
            key, shape = meta[idx]
            state = self.store.read(key, shape)
            fresh = torch.from_numpy(state.rounds == 0)
            mask = self.unit.footprint(positions, shape) & fresh
            queries[key] = (shape, mask.flatten().nonzero().flatten().numpy())
            excluded[key] = self.unit.exclusion(positions, shape).flatten().nonzero(
            ).flatten().numpy()
            units += int(positions.numel())
        num_queried = int(sum(q[1].size for q in queries.values()))
        self.store.save_queries(round_index, queries,
                                meta=dict(units=units, pixels=num_queried),
                                excluded=excluded)
        oracle = self._build_oracle(work_dir)
        digest = oracle.answer_round(self.store, round_index)
        record = dict(round=round_index, units=units, queried_pixels=num_queried,
                      images=len(queries))
        if digest is None:
            record['pending_round'] = round_index
            return record
        store = type(self.store)(self.store.root)
        counts = store.class_counts()
        pool = sum(h * w for h, w in self._shapes())
        record.update(
            labelled_pixels=int(store.num_labelled()),
            labelled_percent=100.0 * store.num_labelled() / pool,
            per_class={name: int(c) for name, c in
                       zip(self.dataset.metainfo['classes'], counts)},
            imbalance=imbalance_score(torch.from_numpy(counts.astype(np.float64))),
            digest=digest)
        self._draw(store, queries, round_index, work_dir)
        return record

    def _build_oracle(self, work_dir: str):
        cfg = dict(self.oracle_cfg or dict(type='ExportOracle'))
        keys = self.dataset.keys()
        if cfg['type'].endswith('GroundTruthOracle'):
            cfg.setdefault('gt_loader', {k: self.dataset.gt_path(i) for i, k in enumerate(keys)})
            cfg.setdefault('label_map', self.dataset.metainfo.get('label_map'))
        elif cfg['type'].endswith('ExportOracle'):
            cfg.setdefault('out_dir', osp.join(work_dir, 'queries'))
            cfg.setdefault('image_paths', {k: self.dataset.img_path(i) for i, k in enumerate(keys)})
        return ACQUISITIONS.build(cfg)

    def _draw(self, store, queries: dict, round_index: int, work_dir: str) -> None:
        """Save the queried areas over a few images, and the class histogram."""
        if self.num_vis <= 0 or not queries:
            return
        from mmada.visualization import draw_class_histogram, draw_queries
        out_dir = osp.join(work_dir, 'active_vis')
        keys = sorted(queries)[:self.num_vis]
        index = {k: i for i, k in enumerate(self.dataset.keys())}
        draw_queries([self.dataset.img_path(index[k]) for k in keys],
                     [queries[k] for k in keys],
                     osp.join(out_dir, f'queries_round_{round_index:04d}.png'))
        draw_class_histogram(store.class_counts(), self.dataset.metainfo['classes'],
                             osp.join(out_dir, f'class_histogram_round_{round_index:04d}.png'),
                             title=f'active labels after round {round_index}')

    @staticmethod
    def _format_record(record: dict) -> str:
        if not record:
            return ''
        if record.get('pending_round'):
            return (f'[active] round {record["round"]}: {record["queried_pixels"]} pixels '
                    f'queried in {record["images"]} images, waiting for annotation')
        per_class = ', '.join(f'{k}={v}' for k, v in record['per_class'].items())
        return (f'[active] round {record["round"]}: {record["units"]} units, '
                f'{record["queried_pixels"]} pixels queried in {record["images"]} images; '
                f'labelled {record["labelled_pixels"]} pixels '
                f'({record["labelled_percent"]:.3f}% of the pool); imbalance '
                f'{record["imbalance"]:.4f}; {record["time_s"]:.1f} s\n'
                f'[active] labelled pixels per class: {per_class}')
