"""Test-only recorders of what online acquisition hands to the losses.

``RecordTargetLabelsLoss`` (a zero loss on the target) saves, per training
step, the target ``gt_sem_seg`` and ``pseudo_sem_seg`` it receives;
``RecordTargetMetaHook`` saves the keys and flips of the same batch. Both
write into ``$MMADA_TEST_LOG_DIR``.
"""
import os
import os.path as osp

import numpy as np
from mmengine.hooks import Hook

from mmada.models.losses.base import BaseDomainLoss
from mmada.registry import HOOKS, MODELS


def _dir():
    return os.environ.get('MMADA_TEST_LOG_DIR')


@MODELS.register_module()
class RecordTargetLabelsLoss(BaseDomainLoss):
    """Records the target labels and pseudo labels; contributes 0."""
    default_inputs = ('seg_logits', 'gt_sem_seg', 'pseudo_sem_seg')

    def __init__(self, **kwargs):
        super().__init__(loss_name='loss_record', **kwargs)
        self.calls = 0

    def forward(self, seg_logits, gt_sem_seg, pseudo_sem_seg):
        if _dir():
            np.savez(osp.join(_dir(), f'labels_{self.calls:04d}.npz'),
                     gt=gt_sem_seg.cpu().numpy(), pseudo=pseudo_sem_seg.cpu().numpy())
        self.calls += 1
        return seg_logits.sum() * 0


@HOOKS.register_module()
class RecordTargetMetaHook(Hook):
    """Records the target keys and flips of every training batch."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if _dir():
            samples = data_batch['target']['data_samples']
            np.savez(osp.join(_dir(), f'meta_{runner.iter:04d}.npz'),
                     keys=np.array([s.metainfo['active_key'] for s in samples]),
                     flip=np.array([bool(s.metainfo.get('flip', False)) for s in samples]))
