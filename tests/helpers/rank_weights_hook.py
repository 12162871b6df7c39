"""Test-only hook: every rank saves its model weights when training ends."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import get_state_dict

from mmada.registry import HOOKS


@HOOKS.register_module()
class SaveRankWeightsHook(Hook):
    """Write ``rank{r}_weights.pth`` (this rank's state dict) to the work dir."""

    def after_train(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        state = {k: v.detach().cpu() for k, v in get_state_dict(model).items()}
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}_weights.pth'))
