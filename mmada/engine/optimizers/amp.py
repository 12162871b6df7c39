"""Mixed precision on any device, and ``--amp`` for one or several optimisers.

MMEngine 0.10.7's ``AmpOptimWrapper`` refuses to start without a GPU (an
assertion in its ``__init__``) and always takes ``torch.cuda.amp``'s
``GradScaler``, although ``torch.autocast`` runs on the CPU in bfloat16 and
``torch.amp.GradScaler`` works on any device. :class:`DeviceAmpOptimWrapper`
is that wrapper for the device the run trains on; :func:`enable_amp` is what
``tools/train.py --amp`` does to a config, one optimiser wrapper or an
``OptimWrapperDict`` of them (:class:`MultiOptimWrapperConstructor`).
"""
import logging
from contextlib import contextmanager
from typing import Iterator, List, Tuple, Union

import torch
from mmengine.device import get_device
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmada.registry import OPTIM_WRAPPERS
from mmada.utils.errors import UserFacingError

_PLAIN = ('OptimWrapper', )
_AMP = ('AmpOptimWrapper', 'DeviceAmpOptimWrapper')


@OPTIM_WRAPPERS.register_module()
class DeviceAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on the run's device, the CPU included.

    Autocast (``optim_context``) and gradient scaling are MMEngine's; what
    differs: no GPU is required, the loss scaler is
    ``torch.amp.GradScaler(device)`` (on the CPU too, so its state -- scale,
    growth tracker -- is real and goes into the checkpoint under
    ``loss_scaler``, as on a GPU), and the default dtype is bfloat16 on the
    CPU (the only one CPU autocast supports) and the device's default
    (float16) elsewhere.

    Args:
        loss_scale: ``'dynamic'``, an initial scale (float, fixed) or the
            ``GradScaler`` arguments (dict), as for ``AmpOptimWrapper``.
        dtype: Autocast dtype (``'float16'``, ``'bfloat16'``, ...); ``None``
            for the device's default.
        device: ``'cpu'``, ``'cuda'``, ...; ``None`` for MMEngine's
            ``get_device()``.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 device: Union[str, None] = None,
                 **kwargs) -> None:
        OptimWrapper.__init__(self, **kwargs)  # not AmpOptimWrapper's GPU check
        self.device = device or get_device()
        if isinstance(dtype, str):
            if dtype not in self.valid_dtypes:
                raise UserFacingError(f'DeviceAmpOptimWrapper: dtype must be one of '
                                      f'{self.valid_dtypes}, got {dtype!r}')
            dtype = getattr(torch, dtype)
        if dtype is None and self.device == 'cpu':
            dtype = torch.bfloat16
        if self.device == 'cpu' and dtype != torch.bfloat16:
            raise UserFacingError(f'DeviceAmpOptimWrapper: CPU autocast supports only '
                                  f"dtype='bfloat16', got {dtype}")
        self.cast_dtype = dtype
        self._scale_update_param = None
        if loss_scale == 'dynamic':
            self.loss_scaler = torch.amp.GradScaler(self.device)
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            self.loss_scaler = torch.amp.GradScaler(self.device, init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = torch.amp.GradScaler(self.device, **loss_scale)
        else:
            raise UserFacingError(f"DeviceAmpOptimWrapper: loss_scale must be 'dynamic', a "
                                  f'float or a dict of GradScaler arguments, got {loss_scale!r}')

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        """MMEngine's optimiser context with autocast to ``cast_dtype`` on
        ``device``.

        Args:
            model: The model (or child) this optimiser trains.
        """
        from mmengine.runner.amp import autocast
        with OptimWrapper.optim_context(self, model), autocast(
                device_type=self.device, dtype=self.cast_dtype):
            yield


def optim_wrapper_entries(optim_wrapper: dict) -> List[Tuple[str, dict]]:
    """(name, wrapper config) of every optimiser of an ``optim_wrapper`` config.

    Args:
        optim_wrapper: The config's ``optim_wrapper``: one wrapper, or a
            :class:`MultiOptimWrapperConstructor` dict of them per child.

    Returns:
        list: ``[('', cfg)]`` for one wrapper, ``[(child, cfg), ...]`` else.
    """
    if optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        return [(name, cfg) for name, cfg in optim_wrapper.items()
                if name not in ('constructor', 'paramwise_cfg') and isinstance(cfg, dict)]
    return [('', optim_wrapper)]


def enable_amp(cfg, device: Union[str, None] = None) -> List[str]:
    """Turn every optimiser wrapper of ``cfg`` into a mixed-precision one.

    On a GPU an ``OptimWrapper`` becomes MMEngine's ``AmpOptimWrapper`` with a
    dynamic loss scale (what mmseg's ``--amp`` does); without one it becomes
    :class:`DeviceAmpOptimWrapper` (bfloat16 autocast, dynamic loss scale),
    since MMEngine's refuses to start there. A ``loss_scale`` the entry
    already has (e.g. from ``--cfg-options``) is kept. Entries that are already AMP
    wrappers are kept; any other wrapper type is refused.

    Args:
        cfg: The run's config (``cfg.optim_wrapper`` is changed in place).
        device: The device of the run (default: MMEngine's ``get_device()``).

    Returns:
        list[str]: One line per optimiser saying what it uses.
    """
    device = device or get_device()
    lines = []
    for name, entry in optim_wrapper_entries(cfg.optim_wrapper):
        where = f'optim_wrapper.{name}' if name else 'optim_wrapper'
        kind = entry.get('type', 'OptimWrapper')
        if kind in _AMP:
            lines.append(f'{where}: {kind} (already AMP in the config)')
            continue
        if kind not in _PLAIN:
            raise UserFacingError(f'--amp: {where} is a {kind}; --amp turns only OptimWrapper '
                                  'entries into AMP ones (set an AMP type in the config instead)')
        if device == 'cuda':
            entry.update(type='AmpOptimWrapper')
        else:
            entry.update(type='DeviceAmpOptimWrapper')
        entry.setdefault('loss_scale', 'dynamic')
        lines.append(f"{where}: {entry['type']} ({device}, loss scale {entry['loss_scale']})")
    return lines


def check_amp_device(cfg, device: Union[str, None] = None) -> None:
    """Refuse MMEngine's ``AmpOptimWrapper`` where it cannot run (no GPU).

    Args:
        cfg: The run's config.
        device: The device of the run (default: MMEngine's ``get_device()``).
    """
    device = device or get_device()
    if device != 'cpu' or 'optim_wrapper' not in cfg:
        return
    for name, entry in optim_wrapper_entries(cfg.optim_wrapper):
        if entry.get('type') == 'AmpOptimWrapper':
            where = f'optim_wrapper.{name}' if name else 'optim_wrapper'
            raise UserFacingError(
                f"{where} is MMEngine's AmpOptimWrapper, which needs a GPU; this run is on the "
                "CPU: use type='DeviceAmpOptimWrapper' (bfloat16 autocast) or plain OptimWrapper "
                'entries with --amp')


def log_amp(lines: List[str]) -> None:
    """Log what :func:`enable_amp` chose."""
    for line in lines:
        print_log(f'[amp] {line}', logger='current', level=logging.INFO)
