"""The online acquisition hook: commits labels acquired in the training step."""
import shutil
import time
from typing import Optional

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import Hook

from mmada.registry import HOOKS
from mmada.utils.errors import UserFacingError

CKPT_KEY = 'online_acquisition'


@HOOKS.register_module()
class OnlineAcquisitionHook(Hook):
    """Binds a model's online acquisition to the label store and commits it.

    The model's ``online_acquisition`` (see
    :class:`~mmada.active.online.BaseOnlineAcquisition`) acquires labels in
    every training step and keeps them *pending* (the same on every rank).
    This hook decides when they become a round of the label store: every
    ``commit_interval`` iterations, at every checkpoint (so a checkpoint's
    store holds every label the model was trained on) and at the end. Only
    rank 0 writes; a barrier follows, so every rank reads the new round.

    Checkpoints hold the store's state (round, digest, budget spent) and the
    acquisition's (iteration, thresholds, epochs). ``--resume`` truncates the
    store to the checkpoint's round: labels committed after it (a run killed
    between checkpoints) are discarded, and the replayed iterations acquire
    them again.

    Args:
        commit_interval: Iterations between commits (each commit is one
            round file of the store).
    """
    priority = 'LOW'  # after the optimiser step, before CheckpointHook

    def __init__(self, commit_interval: int = 50) -> None:
        if int(commit_interval) != commit_interval or commit_interval < 1:
            raise ValueError(f'commit_interval must be a positive integer, got '
                             f'{commit_interval}')
        self.commit_interval = int(commit_interval)
        self.acquisition = self.store = self.dataset = None
        self.shapes = None

    # ------------------------------------------------------------------ setup
    def before_run(self, runner) -> None:
        """Find the acquisition and the target dataset; open the store; bind."""
        from mmada.datasets.online_dataset import OnlineActiveTargetDataset
        from mmada.datasets.active_dataset import find_active_dataset
        from mmada.models.acquisition_outputs import find_segmentor
        from mmada.active.engine import TargetPool
        from mmada.active.label_store import LabelStore
        segmentor = find_segmentor(runner.model)
        self.acquisition = getattr(segmentor, 'online_acquisition', None)
        if self.acquisition is None:
            raise UserFacingError(
                'OnlineAcquisitionHook: the model has no online_acquisition; set '
                "model=dict(online_acquisition=dict(type='AdaMCUOnlineAcquisition', ...)).")
        dataset = find_active_dataset(runner.train_loop.dataloader.dataset)
        if not isinstance(dataset, OnlineActiveTargetDataset):
            raise UserFacingError(
                'OnlineAcquisitionHook needs an OnlineActiveTargetDataset as the target of '
                'train_dataloader (its samples carry the online oracle fields).')
        if dataset.label_store_dir is None:
            raise UserFacingError(
                "OnlineAcquisitionHook: use train_cfg=dict(type='ActiveIterBasedTrainLoop') "
                'so the label store is placed under the work dir.')
        self.dataset = dataset
        self.shapes = TargetPool(dataset).shapes()
        try:  # before the store is touched: a refusal changes nothing
            self.acquisition.check_pool(self.shapes)
        except ValueError as err:
            raise UserFacingError(f'invalid online acquisition settings: {err}') from None
        root = dataset.label_store_dir
        if is_main_process() and not runner._resume and LabelStore.exists(root):
            if LabelStore(root).current_round > 0:
                backup = f'{root}.bak-{time.strftime("%Y%m%d_%H%M%S")}'
                shutil.move(root, backup)
                runner.logger.warning(f'A new (not resumed) run found a label store; it was '
                                      f'moved to {backup}.')
        barrier()
        self._bind()
        runner.logger.info(
            f'online acquisition: budget M_e = {self.acquisition.total} pixels of '
            f'{sum(h * w for h, w in self.shapes)} target pixels ({len(self.shapes)} images)')

    def _bind(self) -> None:
        from mmada.active.label_store import LabelStore
        self.store = LabelStore(self.dataset.label_store_dir,
                                num_classes=len(self.dataset.metainfo['classes']),
                                ignore_index=self.dataset.ignore_index)
        try:
            self.acquisition.bind(self.store, self.shapes)
        except ValueError as err:
            raise UserFacingError(f'invalid online acquisition settings: {err}') from err

    # ------------------------------------------------------------- iterations
    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Tell the acquisition which iteration it is (its random draws)."""
        self.acquisition.iteration = runner.iter

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Commit every ``commit_interval`` iterations; log the budget."""
        acq = self.acquisition
        runner.message_hub.update_scalar('train/online_labelled', acq.labelled)
        schedule = getattr(acq, 'schedule', None)
        if schedule is not None:
            runner.message_hub.update_scalar('train/online_pi_high', schedule.pi_high)
        if (runner.iter + 1) % self.commit_interval == 0:
            self.commit(runner)

    def after_train(self, runner) -> None:
        """Commit what is left."""
        self.commit(runner)

    def commit(self, runner=None) -> Optional[int]:
        """Write the pending labels as one round (rank 0), then barrier.

        Returns:
            int | None: The round written, or ``None`` if nothing was pending.
        """
        acq = self.acquisition
        num = len(acq.pending)
        if num == 0:
            return None
        round_index = self.store.current_round + 1
        if is_main_process():
            meta = dict(units=num, kind='online', iteration=int(acq.iteration))
            schedule = getattr(acq, 'schedule', None)
            if schedule is not None:
                meta.update(phase=schedule.phase(acq.labelled), pi_high=schedule.pi_high)
            self.store.commit_round(round_index, acq.pending.updates(), meta=meta)
        barrier()
        acq.after_commit()
        if runner is not None:
            self._log(runner, round_index, num)
        return round_index

    def _log(self, runner, round_index: int, num: int) -> None:
        acq = self.acquisition
        counts = self.store.class_counts()
        classes = self.dataset.metainfo['classes']
        per_class = ', '.join(f'{c}={int(n)}' for c, n in zip(classes, counts) if n)
        total = acq.total or 0
        runner.logger.info(
            f'online acquisition: round {round_index} committed {num} pixels; '
            f'M_a = {acq.labelled} / M_e = {total} '
            f'({100.0 * acq.labelled / max(total, 1):.1f}%); labelled per class: '
            f'{per_class or "none"}')

    # ------------------------------------------------------------ checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Commit, then record the store's and the acquisition's state."""
        self.commit(runner)
        checkpoint.setdefault('meta', {})[CKPT_KEY] = dict(
            store=self.store.state_dict(), acquisition=self.acquisition.state_dict())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Truncate the store to the checkpoint's round; restore the acquisition."""
        if not runner._resume or self.acquisition is None:
            return
        from mmada.active.label_store import LabelStoreError, chain_digest
        state = checkpoint.get('meta', {}).get(CKPT_KEY) or dict(
            store=dict(round=0, digest=chain_digest([]), round_digests=[]), acquisition={})
        if is_main_process():
            try:
                self.store.restore(state['store'])
            except LabelStoreError as err:
                raise UserFacingError(f'cannot resume: {err}') from err
        barrier()
        self.acquisition.pending.clear()
        self._bind()
        self.acquisition.load_state_dict(state['acquisition'])

