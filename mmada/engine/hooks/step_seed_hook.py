"""Re-seed the global random generators at every training iteration (exact resume)."""
from typing import Optional

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmada.registry import HOOKS


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """The seed of one iteration on one rank (in ``[0, 2**32)``).

    Args:
        seed: The run's seed.
        step: The iteration (0-based).
        rank: The process rank.

    Returns:
        int: A seed in ``[0, 2**32)``.
    """
    return (seed * 1_000_003 + step * 7919 + rank * 104_729) % (2 ** 32)


@HOOKS.register_module()
class StepSeedHook(Hook):
    """Seeds torch's global generator from ``(seed, iteration, rank)`` before each step.

    Dropout and stochastic depth (DAFormer's head and MiT encoder) draw from
    torch's global generator, whose state a checkpoint does not hold: a
    resumed run would draw other masks than the uninterrupted one. Seeding
    every iteration from its number makes the draws of iteration ``i`` the
    same in both. Ranks get different seeds (different dropout masks).
    numpy and ``random`` are left alone: the data pipelines draw from them,
    and a resumed run replays the data loading of the skipped iterations
    to reach the same state.

    Args:
        seed: Base seed; ``None`` takes the runner's (``randomness.seed``).
    """
    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Seed the generators for iteration ``runner.iter``."""
        base = self.seed if self.seed is not None else (getattr(runner, 'seed', 0) or 0)
        s = step_seed(int(base), int(runner.iter), get_rank())
        torch.manual_seed(s)
