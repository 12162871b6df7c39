"""Mean-teacher updates after every optimiser step (DAFormer, MADAv2's EMA teacher)."""
from typing import List, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import nn

from mmada.registry import HOOKS
from mmada.utils.errors import UserFacingError


def ema_teachers(model: nn.Module) -> List[Tuple[nn.Module, nn.Module]]:
    """``(student, teacher)`` pairs: every batch step of a segmentor that wants EMA updates.

    A teacher is a batch step with ``uses_ema_hook`` true (e.g.
    :class:`~mmada.models.teachers.PseudoLabelTeacher` with ``mode='ema'``);
    its student is the segmentor whose ``batch_steps`` hold it.

    Args:
        model: The runner's model (a wrapper is unwrapped).

    Returns:
        list[tuple[nn.Module, nn.Module]]: In module order.
    """
    if is_model_wrapper(model):
        model = model.module
    pairs = []
    for owner in model.modules():
        for step in getattr(owner, 'batch_steps', ()):
            if getattr(step, 'uses_ema_hook', False):
                pairs.append((owner, step))
    return pairs


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """Moves every EMA teacher of the model towards its student after each optimiser step.

    As mmdet's ``MeanTeacherHook``, but for the teachers that live in a
    segmentor's ``batch_steps``: after every ``interval``-th iteration whose
    optimiser stepped (not in the middle of a gradient accumulation), each
    teacher gets ``theta_t <- alpha theta_t + (1 - alpha) theta_s``
    (:meth:`~mmada.models.teachers.PseudoLabelTeacher.update_teacher`) with
    ``alpha`` from :func:`~mmada.models.teachers.ema_momentum`: the DACS /
    DAFormer authors' ramp ``min(1 - 1 / (k + 1), momentum)`` at the
    teacher's ``k``-th update, or ``momentum`` throughout without ``ramp``.

    The teacher weights and its update count are in the model, hence in
    every checkpoint; ``--resume`` continues with the same teacher and the
    same ``alpha``. Without an EMA teacher in the model the hook refuses to
    start (it would do nothing).

    Args:
        momentum: Teacher weight alpha (DAFormer: 0.999).
        interval: Update every ``interval`` optimiser steps.
        ramp: The authors' ramp of alpha (see above).
    """
    priority = 'ABOVE_NORMAL'

    def __init__(self, momentum: float = 0.999, interval: int = 1, ramp: bool = True) -> None:
        if not 0 <= momentum <= 1:
            raise ValueError(f'EMATeacherHook: momentum must be in [0, 1], got {momentum}')
        if interval < 1:
            raise ValueError(f'EMATeacherHook: interval must be >= 1, got {interval}')
        self.momentum, self.interval, self.ramp = float(momentum), int(interval), bool(ramp)

    def before_train(self, runner) -> None:
        """Refuse a model without an EMA teacher."""
        if not ema_teachers(runner.model):
            raise UserFacingError(
                'EMATeacherHook: the model has no EMA teacher (a batch step such as '
                "PseudoLabelTeacher with mode='ema' in model.batch_steps): add one or "
                'remove the hook from custom_hooks.')

    @staticmethod
    def _stepped(runner) -> bool:
        wrapper = getattr(runner, 'optim_wrapper', None)
        if isinstance(wrapper, OptimWrapper):
            return wrapper.should_update()
        return True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Update the teachers after an optimiser step."""
        if not self._stepped(runner) or (runner.iter + 1) % self.interval:
            return
        from mmada.models.teachers import ema_momentum
        for student, teacher in ema_teachers(runner.model):
            k = int(teacher.num_updates) + 1
            teacher.update_teacher(student, ema_momentum(k, self.momentum, self.ramp))
