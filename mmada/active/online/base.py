"""Online label acquisition: labels queried inside the training step.

:class:`~mmada.models.segmentors.TwoDomainSegmentor` builds the config's
``online_acquisition`` (registry ``ONLINE_ACQUISITIONS``) and calls it between its
two halves, on detached outputs::

    loss(): forward_domains()                    # named outputs per domain
            online_acquisition(segmentor, outputs, data_samples)
                                                 # fills target gt_sem_seg,
                                                 # labelled_mask, uncertainty,
                                                 # uncertainty_group, pseudo_sem_seg
            losses_from_outputs()

A new online method is one registered subclass of
:class:`BaseOnlineAcquisition`. :class:`OnlineAcquisitionHook` decides when
the acquired labels are committed to the label store and keeps the
acquisition's state in checkpoints.
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmada.utils.errors import UserFacingError
from mmada.utils.fields import ORIGIN_OFFSET
from .pending import PendingLabels

BUDGET_TYPES = ('ratio', 'pixels')


class OnlineSettingsError(UserFacingError, ValueError):
    """Bad settings of an online acquisition, found before training."""


def check_online_budget(budget: dict) -> dict:
    """Validate an online budget config; return it normalised.

    Args:
        budget: ``dict(type='ratio', value=r)`` with ``0 < r <= 1`` (a share
            of all target pixels, as the paper's 1.7 % ... 16.8 %) or
            ``dict(type='pixels', value=n)`` with ``n >= 1``.

    Returns:
        dict: ``type`` and ``value``.
    """
    if not isinstance(budget, dict) or set(budget) != {'type', 'value'}:
        raise ValueError(f"online budget must be dict(type='ratio'|'pixels', value=...), got "
                         f'{budget!r}')
    kind, value = budget['type'], budget['value']
    if kind not in BUDGET_TYPES:
        raise ValueError(f'online budget type must be one of {BUDGET_TYPES}, got {kind!r}')
    if kind == 'ratio' and not 0 < value <= 1:
        raise ValueError(f'online budget ratio must be in (0, 1] (a share of the target '
                         f'pixels), got {value}')
    if kind == 'pixels' and (int(value) != value or value < 1):
        raise ValueError(f'online budget of pixels must be a positive integer, got {value}')
    return dict(type=kind, value=value)


def budget_pixels(budget: dict, pool_pixels: int) -> int:
    """``M_e`` in pixels for a pool of ``pool_pixels`` target pixels.

    Raises a ValueError if it is 0 or larger than the pool.
    """
    budget = check_online_budget(budget)
    total = (math.floor(round(budget['value'] * pool_pixels, 6)) if budget['type'] == 'ratio'
             else int(budget['value']))
    if total < 1:
        raise ValueError(f'online budget {budget} is 0 pixels for a pool of {pool_pixels} '
                         'target pixels: raise it')
    if total > pool_pixels:
        raise ValueError(f'online budget of {total} pixels exceeds the target pool '
                         f'({pool_pixels} pixels)')
    return total


class BaseOnlineAcquisition:
    """Acquires labels inside the training step (see the module docstring).

    Subclasses implement :meth:`__call__`; the hook binds the label store
    (:meth:`bind`), commits :attr:`pending` and saves :meth:`state_dict`.

    Attributes:
        pending: Labels acquired since the last commit (same on every rank).
        committed: Pixels in the label store (budget spent before ``pending``).
        iteration: Current training iteration (set by the hook).
    """

    def __init__(self) -> None:
        self.pending = PendingLabels()
        self.committed = 0
        self.iteration = 0
        self.store = None
        self.num_images: Optional[int] = None

    def check_segmentor(self, segmentor) -> None:
        """Refuse a model this acquisition cannot work with (default: any)."""

    def check_pool(self, shapes: Sequence[Tuple[int, int]]) -> None:
        """Refuse a target pool these settings cannot work with (default: any).

        Called by the hook before it touches the label store, so a refusal
        changes nothing.

        Args:
            shapes: (H, W) of every target image at label resolution.

        Raises:
            ValueError: Naming the setting and what to change.
        """

    def bind(self, store, shapes: Sequence[Tuple[int, int]]) -> None:
        """Attach the label store and the target pool (hook, before training).

        Args:
            store: The :class:`~mmada.active.label_store.LabelStore`.
            shapes: (H, W) of every target image at label resolution.
        """
        self.store = store
        self.num_images = len(shapes)
        self.committed = int(store.budget_spent()['pixels'])

    @property
    def labelled(self) -> int:
        """``M_a``: pixels labelled so far (committed + pending)."""
        return self.committed + len(self.pending)

    def after_commit(self) -> None:
        """The pending labels are in the store now (every rank calls it)."""
        self.committed += len(self.pending)
        self.pending.clear()

    def state_dict(self) -> dict:
        """State that must come back on resume (plain python)."""
        return dict(iteration=self.iteration)

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        self.iteration = int(state.get('iteration', 0))

    def __call__(self, segmentor, outputs: Dict[str, dict], data_samples: Dict[str, list]
                 ) -> None:
        """Fill the online outputs of ``outputs`` in place."""
        raise NotImplementedError


def hidden_field(sample, name: str, size: Tuple[int, int], pad: int, device) -> Tensor:
    """(H, W) int64 map of a hidden per-pixel field, padded to ``size``."""
    if name not in sample:
        raise RuntimeError(
            f'online acquisition: the target data sample has no {name!r}; train on an '
            "OnlineActiveTargetDataset (its pipeline packs the oracle's fields)")
    data = sample.get(name).data.to(device).long()[0]
    h, w = data.shape
    if (h, w) != tuple(size):
        data = torch.nn.functional.pad(data, (0, size[1] - w, 0, size[0] - h), value=pad)
    return data
