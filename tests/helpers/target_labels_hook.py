"""Test-only hook: record the target labels of every training batch."""
import os.path as osp

import torch
from mmengine.hooks import Hook

from mmada.registry import HOOKS


@HOOKS.register_module()
class RecordTargetLabelsHook(Hook):
    """Append (img_path, flipped, label map) of each target sample to
    ``<work_dir>/target_labels.pt`` after training: what the loss was given."""

    def before_run(self, runner) -> None:
        self.seen = []

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        for sample in data_batch['target']['data_samples']:
            flipped = bool(sample.metainfo.get('flip', False))
            self.seen.append((sample.img_path, flipped, sample.gt_sem_seg.data[0].clone()))

    def after_train(self, runner) -> None:
        torch.save(self.seen, osp.join(runner.work_dir, 'target_labels.pt'))
