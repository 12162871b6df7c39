"""The acquisition hook: decides *when* a round runs and keeps its checkpoint state."""
import os.path as osp
import shutil
import time
from typing import Optional, Sequence

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook

from mmada.active import oracles as _oracles  # noqa: F401 (registers oracles)
from mmada.active.budget import Budget
from mmada.active.engine import AcquisitionRound, SourcePool, TargetPool
from mmada.active.engine.pool import DEFAULT_SOURCE_PIPELINE
from mmada.registry import ACQUISITIONS, HOOKS
from mmada.utils.errors import AnnotationRequired, UserFacingError

CKPT_KEY = 'active_learning'
_REQUIRED = ('rounds', 'budget', 'scorer', 'unit')
DEFAULTS = dict(
    allocator=dict(type='PerImageAllocator'),
    oracle=dict(type='GroundTruthOracle'),
    seed=0,
    num_vis=4,
    batch_size=1,
    source_pipeline=list(DEFAULT_SOURCE_PIPELINE))


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

    The hook decides *when*: a round runs after the optimiser step of
    iteration ``it`` for every ``it`` in ``rounds`` (1-based, as logged), and
    before the first training step for ``0`` (e.g. RIPU's source-free rounds
    start from the source model). *What* a round does is the engine's
    (:class:`mmada.active.engine.AcquisitionRound`): sharded, batched scoring
    on the model's device, one decision on rank 0, the oracle, an atomic
    commit; dataloader workers read the new labels from disk.

    Every checkpoint holds the store's round, budget spent and digest, a
    pending annotation round and the scorer's state (e.g. anchors);
    ``--resume`` restores the store to exactly the checkpoint's rounds and the
    scorer to its state.

    Settings come from the constructor or, for those left ``None``, from the
    config's top-level ``active_learning`` dict (see :meth:`configure`);
    ``rounds`` defaults to the config's ``active_rounds``, which the
    ``schedule_*_active.py`` schedules set (MMEngine forbids two ``_base_``
    files defining the same key, so schedule and method keep apart).

    Args:
        rounds: Iterations after which a round runs (0: before training).
        budget: Budget config, see :class:`mmada.active.budget.Budget`.
        scorer: Scorer config (registry ``ACQUISITIONS``).
        unit: Selection unit config.
        allocator: Allocator config (equal share per image or dataset-wide).
        oracle: Oracle config; ``GroundTruthOracle`` simulates annotators,
            ``None`` exports the queries to ``<work_dir>/queries/round_XXXX``
            and stops training for human annotation.
        seed: Seed of random scorers and units (with round and image index).
        num_vis: Number of images drawn with their queried areas per round.
        batch_size: Images per forward pass while scoring.
        source_pipeline: Pipeline of the source pool for pool-level scorers
            (labels, no augmentation).
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
                 batch_size: Optional[int] = None,
                 source_pipeline: Optional[Sequence[dict]] = None,
                 cfg_key: str = 'active_learning') -> None:
        self._args = dict(rounds=rounds, budget=budget, scorer=scorer, unit=unit,
                          allocator=allocator, oracle=oracle, seed=seed, num_vis=num_vis,
                          batch_size=batch_size, source_pipeline=source_pipeline)
        self.cfg_key = cfg_key
        self.store = self.target = self.source = None
        self.pending_round = 0
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
        if not rounds or any(r < 0 for r in rounds) or sorted(set(rounds)) != rounds:
            raise ValueError('rounds must be increasing iterations (0 = before the first '
                             f'training step), got {rounds}')
        self.rounds = rounds
        budget = Budget(**args['budget'], num_rounds=len(rounds))
        self.engine = AcquisitionRound(
            scorer=ACQUISITIONS.build(args['scorer']), unit=ACQUISITIONS.build(args['unit']),
            allocator=args['allocator'], oracle=args['oracle'], budget=budget,
            seed=args['seed'], batch_size=args['batch_size'], num_vis=args['num_vis'])
        self.source_pipeline = list(args['source_pipeline'])
        self.settings = args

    @property
    def budget(self) -> Budget:
        """The schedule's budget."""
        return self.engine.budget

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
        """Configure from ``runner.cfg``, find the pools, open the label store.

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
        dataset = find_active_dataset(loop.dataloader.dataset)
        if dataset is None:
            raise UserFacingError(
                'ActiveLearningHook needs an ActiveTargetDataset in '
                'train_dataloader (as target of a TwoDomainDataset or alone).')
        if dataset.label_store_dir is None:
            raise UserFacingError(
                "ActiveLearningHook: use train_cfg=dict(type='ActiveIterBasedTrainLoop') "
                'so the label store is placed under the work dir.')
        if max(self.rounds) > loop.max_iters:
            raise UserFacingError(
                f'ActiveLearningHook: round iterations {self.rounds} exceed '
                f'max_iters={loop.max_iters}.')
        self.target = TargetPool(dataset)
        source = getattr(loop.dataloader.dataset, 'source', None)
        self.source = None if source is None else SourcePool(source, self.source_pipeline)
        try:
            self.budget.check_pool(self.target.shapes())
        except ValueError as err:
            raise UserFacingError(f'invalid active learning budget: {err}') from err
        check_pools = getattr(self.engine.scorer, 'check_pools', None)
        try:
            if check_pools is not None:
                check_pools(dict(
                    target=len(self.target),
                    source=None if self.source is None else len(self.source)))
        except ValueError as err:
            raise UserFacingError(f'invalid active learning settings: {err}') from err
        root = dataset.label_store_dir
        if is_main_process() and archive_existing and LabelStore.exists(root):
            store = LabelStore(root)
            if store.current_round > 0:
                backup = f'{root}.bak-{time.strftime("%Y%m%d_%H%M%S")}'
                shutil.move(root, backup)
                runner.logger.warning(
                    f'A new (not resumed) run found a label store with '
                    f'{store.current_round} rounds; it was moved to {backup}.')
        barrier()
        self._open_store()
        if archive_existing:  # a fresh run: the data start from the store as it is now
            self._labels_committed(runner, at_batch=0)

    @staticmethod
    def _loop_can_follow(runner) -> bool:
        return hasattr(runner.train_loop, 'labels_committed')

    def _labels_committed(self, runner, at_batch: Optional[int] = None) -> None:
        """Tell the train loop that the store's current round is in force."""
        if self._loop_can_follow(runner):
            runner.train_loop.labels_committed(self.store.current_round, at_batch)

    def _open_store(self) -> None:
        from mmada.active.label_store import LabelStore
        dataset = self.target.dataset
        self.store = LabelStore(dataset.label_store_dir,
                                num_classes=len(dataset.metainfo['classes']),
                                ignore_index=dataset.ignore_index)

    # ------------------------------------------------------------ checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Record the store's round, budget spent, digest and the scorer state."""
        state = self.store.state_dict()
        state['pending_round'] = self.pending_round
        state['scorer'] = self.engine.scorer.state_dict()
        if self._loop_can_follow(runner):
            state['data'] = runner.train_loop.label_state_dict()
        checkpoint.setdefault('meta', {})[CKPT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Bring the label store and the scorer back to the checkpoint's state."""
        if not runner._resume or self.store is None:
            return
        from mmada.active.label_store import LabelStoreError, chain_digest
        state = checkpoint.get('meta', {}).get(CKPT_KEY)
        if state is None:  # a checkpoint from before any round
            state = dict(round=0, digest=chain_digest([]), round_digests=[])
        self.engine.scorer.load_state_dict(state.get('scorer', {}))
        pending = int(state.get('pending_round', 0))
        if pending and self.store.current_round == pending:
            # Annotations of the exported round were imported while stopped.
            if self.store.digest(upto_round=pending - 1) != state['digest']:
                raise UserFacingError(
                    f'Label store {self.store.root} does not match the checkpoint '
                    f'(rounds 1..{pending - 1} differ); refusing to resume.')
            self.pending_round = 0
            self._restore_data(runner, state, checkpoint)
            # the imported round is in force from the checkpoint's batch on
            self._labels_committed(runner, at_batch=int(checkpoint['meta'].get('iter', 0)))
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
        self._open_store()
        self._restore_data(runner, state, checkpoint)

    def _restore_data(self, runner, state: dict, checkpoint: dict) -> None:
        """Give the train loop the checkpoint's commit points (see the loop).

        Checkpoints written before they were recorded get them from the
        schedule: round ``k`` in force from batch ``rounds[k - 1]`` on.
        """
        if not self._loop_can_follow(runner):
            return
        data = state.get('data')
        if data is None:
            done = int(state.get('round', 0))
            data = dict(label_rounds=[[0, 0]] + [[self.rounds[k - 1], k]
                                                 for k in range(1, done + 1)])
        runner.train_loop.load_label_state_dict(data)

    # ----------------------------------------------------------------- rounds
    def before_train(self, runner) -> None:
        """Run the round scheduled at iteration 0 (before any training step)."""
        if runner.iter == 0 and 0 in self.rounds:
            self._maybe_run(runner, 0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Run a round when the iteration just finished is in ``rounds``."""
        it = runner.iter + 1
        if it in self.rounds:
            self._maybe_run(runner, it)

    def _maybe_run(self, runner, it: int) -> None:
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
        self._labels_committed(runner)

    def run_round(self, model, round_index: int, work_dir: str, logger=None) -> dict:
        """Select, annotate and commit one round (callable offline too).

        Args:
            model: The (possibly wrapped) model.
            round_index: 1-based round to run; must be the store's next one.
            work_dir: Where pictures and exported queries go.
            logger: Logger for the round summary.

        Returns:
            dict: The round's log record (the same on every rank).
        """
        record = self.engine.run(model, self.target, self.store, round_index, work_dir,
                                 source=self.source, logger=logger)
        self.pending_round = record.get('pending_round', 0)
        return record

    def _stop_for_annotation(self, runner, it: int, round_index: int) -> None:
        """Checkpoint (marking the round pending) and stop the run."""
        filename = f'iter_{it}.pth'
        runner.save_checkpoint(runner.work_dir, filename, save_optimizer=True,
                               save_param_scheduler=True)
        if is_main_process():
            from mmada.engine.checkpoint import write_last_checkpoint
            write_last_checkpoint(runner.work_dir, osp.join(runner.work_dir, filename))
        barrier()
        query_dir = osp.join(runner.work_dir, 'queries', f'round_{round_index:04d}')
        raise AnnotationRequired(
            f'queries of round {round_index} are in {query_dir}: annotate them, run '
            f'tools/import_annotations.py {self.store.root} --round {round_index} '
            'ANNOTATION_DIR, then train again with --resume.')
