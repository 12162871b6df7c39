"""Test-only hook: SIGKILL the training process after a given iteration."""
import os
import signal

from mmengine.hooks import Hook

from mmada.registry import HOOKS


@HOOKS.register_module()
class KillAfterIterHook(Hook):
    """Kill -9 the process right after iteration ``at`` (after every other
    after-iteration hook, i.e. after an acquisition round at that iteration
    and before any later checkpoint)."""
    priority = 'LOWEST'

    def __init__(self, at: int) -> None:
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at and not os.environ.get('MMADA_NO_KILL'):
            os.kill(os.getpid(), signal.SIGKILL)
