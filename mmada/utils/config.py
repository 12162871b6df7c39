"""Config adjustments shared by the command-line tools."""
import torch
from mmengine.config import Config


def prepare_cfg(cfg: Config) -> Config:
    """Make a config runnable on this machine.

    * Distributed runs without CUDA use the ``gloo`` backend (NCCL needs GPUs),
      so ``tools/dist_train.sh`` also works on CPU-only machines.

    Args:
        cfg: The loaded config (modified in place).

    Returns:
        Config: ``cfg``.
    """
    if cfg.get('launcher', 'none') != 'none' and not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg
