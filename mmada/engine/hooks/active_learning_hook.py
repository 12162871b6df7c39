"""The acquisition hook: decides *when* a round runs and keeps its checkpoint state."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook

from mmada.active import oracles as _oracles  # noqa: F401 (registers oracles)
from mmada.active.budget import Budget
from mmada.active.engine import SourcePool, TargetPool
from mmada.active.engine import settings as acquisition_settings
from mmada.datasets.active_dataset import find_active_dataset
from mmada.engine.checkpoint import save_and_record
from mmada.registry import HOOKS
from mmada.utils.errors import AnnotationRequired, UserFacingError

CKPT_KEY = 'active_learning'


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
    ``--resume`` restores the store to exactly the checkpoint's rounds
    (:meth:`LabelStore.restore <mmada.active.label_store.LabelStore.restore>`)
    and the scorer to its state.

    Settings come from the constructor or, for those left ``None``, from the
    config's top-level ``active_learning`` dict, ``rounds`` from
    ``active_rounds`` (merged and checked by :mod:`mmada.active.engine.settings`).

    Args:
        rounds: Iterations after which a round runs (0: before training).
        budget: Budget config, see :class:`mmada.active.budget.Budget`.
        scorer: Scorer config (registry ``SCORERS``).
        unit: Selection unit config (registry ``UNITS``).
        allocator: Allocator config (registry ``ALLOCATORS``: equal share per image or
            dataset-wide).
        oracle: Oracle config (registry ``ORACLES``); ``GroundTruthOracle`` simulates annotators,
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
        if all(self._args[k] is not None for k in acquisition_settings.REQUIRED):
            self.configure({})

    def configure(self, cfg_section: dict) -> None:
        """Build the acquisition pieces; refuse bad settings before training.

        Args:
            cfg_section: Settings from the config (the constructor's win).
        """
        self.settings, self.engine = acquisition_settings.configure(
            cfg_section, self._args, self.cfg_key)
        self.rounds = self.settings['rounds']
        self.source_pipeline = list(self.settings['source_pipeline'])

    @property
    def budget(self) -> Budget:
        """The schedule's budget."""
        return self.engine.budget

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
        self.configure(acquisition_settings.config_section(runner.cfg, self.cfg_key))
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
        acquisition_settings.check_pools(self.engine, self.target.shapes(), len(self.target),
                                         None if self.source is None else len(self.source))
        backup = LabelStore.archive_used(dataset.label_store_dir) \
            if is_main_process() and archive_existing else None
        if backup:
            runner.logger.warning(f'A new (not resumed) run found a label store with rounds; '
                                  f'it was moved to {backup}.')
        barrier()
        self._open_store()
        if archive_existing:  # a fresh run: the data start from the store as it is now
            self._labels_committed(runner, at_batch=0)

    def _labels_committed(self, runner, at_batch: Optional[int] = None) -> None:
        """Tell the train loop (if it follows the store) that the current round is in force."""
        if hasattr(runner.train_loop, 'labels_committed'):
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
        if hasattr(runner.train_loop, 'label_state_dict'):
            state['data'] = runner.train_loop.label_state_dict()
        checkpoint.setdefault('meta', {})[CKPT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Bring the label store and the scorer back to the checkpoint's state."""
        if not runner._resume or self.store is None:
            return
        state = checkpoint.get('meta', {}).get(CKPT_KEY) or self.store.initial_state()
        self.engine.scorer.load_state_dict(state.get('scorer', {}))
        if self.store.annotations_imported(int(state.get('pending_round', 0)), state['digest']):
            self.pending_round = 0  # imported while stopped: in force from the checkpoint on
            self._restore_data(runner, state)
            self._labels_committed(runner, at_batch=int(checkpoint['meta'].get('iter', 0)))
            return
        if is_main_process():
            from mmada.active.label_store import LabelStoreError
            try:
                self.store.restore(state)
            except LabelStoreError as err:
                raise UserFacingError(f'cannot resume: {err}') from err
        barrier()
        self._open_store()
        self._restore_data(runner, state)

    def _restore_data(self, runner, state: dict) -> None:
        """Give the train loop the checkpoint's commit points (see the loop).

        Checkpoints written before they were recorded get them from the
        schedule: round ``k`` in force from batch ``rounds[k - 1]`` on.
        """
        if not hasattr(runner.train_loop, 'load_label_state_dict'):
            return
        done = int(state.get('round', 0))
        data = state.get('data') or dict(
            label_rounds=[[0, 0]] + [[self.rounds[k - 1], k] for k in range(1, done + 1)])
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
        if self.pending_round:  # exported for people: checkpoint (round pending), stop
            save_and_record(runner, it, by_epoch=True)
            barrier()
            query_dir = osp.join(runner.work_dir, 'queries', f'round_{round_index:04d}')
            raise AnnotationRequired(
                f'queries of round {round_index} are in {query_dir}: annotate them, run '
                f'tools/import_annotations.py {self.store.root} --round {round_index} '
                'ANNOTATION_DIR, then train again with --resume.')
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
