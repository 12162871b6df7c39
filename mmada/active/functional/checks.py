"""Input checks shared by the acquisition functions: each raises one
ValueError saying which argument is wrong and how."""
from typing import Optional, Sequence

import torch
from torch import Tensor


def check_probs(probs: Tensor) -> None:
    """Raise a ValueError unless ``probs`` is a non-empty (C, H, W) tensor."""
    if not isinstance(probs, Tensor) or probs.dim() != 3:
        shape = tuple(probs.shape) if isinstance(probs, Tensor) else None
        raise ValueError(f'probs must be a (C, H, W) tensor, got {shape}')
    if probs.shape[0] < 1:
        raise ValueError('probs must have at least one class')


def check_radius(k: int, name: str = 'k') -> int:
    """Return ``k`` as an int, raising a ValueError if it is negative."""
    if int(k) != k or k < 0:
        raise ValueError(f'{name} must be a non-negative integer, got {k!r}')
    return int(k)


def check_positions(positions: Tensor, shape: Sequence[int]) -> Tensor:
    """Validate flat positions against an (H, W) shape; return them int64."""
    height, width = shape
    positions = torch.as_tensor(positions).reshape(-1).to(torch.int64)
    if positions.numel() and (positions.min() < 0
                              or positions.max() >= height * width):
        raise ValueError(f'positions outside [0, {height * width})')
    return positions


def check_selection_inputs(score: Tensor, excluded: Optional[Tensor],
                           max_units: int) -> Tensor:
    """Validate greedy inputs; return the bool excluded mask."""
    if not isinstance(score, Tensor) or score.dim() != 2:
        raise ValueError('score must be an (H, W) tensor')
    if not score.is_floating_point():
        raise ValueError(f'score must be floating, got {score.dtype}')
    if int(max_units) != max_units or max_units < 0:
        raise ValueError(f'max_units must be a non-negative integer, got '
                         f'{max_units!r}')
    if excluded is None:
        excluded = torch.zeros(score.shape, dtype=torch.bool)
    if tuple(excluded.shape) != tuple(score.shape):
        raise ValueError(f'excluded has shape {tuple(excluded.shape)}, '
                         f'score has shape {tuple(score.shape)}')
    return excluded.to(torch.bool)
