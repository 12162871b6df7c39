"""The one fix of MMEngine 0.10.7 applied when :mod:`mmada` is imported.

Everything else mmada adds to training is a component a config names
(``runner_type='CrashSafeRunner'`` in ``configs/_base_/default_runtime.py``,
``CrashSafeCheckpointHook`` in the schedules' ``default_hooks``): importing
mmada leaves MMEngine's ``Runner``, hooks and checkpoint functions as they
are. This fix stays a fix because it concerns MMEngine's own class under
torch >= 2.6, in every program that loads an MMEngine checkpoint, whatever
its config.

Resuming MMEngine 0.10.7 checkpoints under torch >= 2.6
--------------------------------------------------------

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``, and
MMEngine 0.10.7 calls it without the argument, so ``--resume`` fails on what
MMEngine itself puts in a checkpoint: its message hub's ``HistoryBuffer``
objects (numpy arrays inside) and, in each buffer's pickled state, the
class's statistics *functions* (pickled through ``getattr``, which must never
be allow-listed).

The fix, in this one place and applied once when :mod:`mmada` is imported:

1. ``HistoryBuffer`` no longer pickles its statistics functions. They are
   class-level registrations (``min``/``max``/``current``/``mean`` and any
   ``register_statistics`` call made at import time), restored by
   ``__init__``/imports, and ``HistoryBuffer.__setstate__`` already treats
   them as optional.
2. ``HistoryBuffer`` and the numpy types it stores are allow-listed with
   ``torch.serialization.add_safe_globals`` — the safety check stays on.
"""
import numpy as np
import torch

_DONE = False


def _history_buffer_getstate(self) -> dict:
    """Pickle a ``HistoryBuffer`` without its (class-level) functions."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def _numpy_globals() -> list:
    from numpy.core import multiarray
    dtypes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)]
    return [np.dtype, np.ndarray, multiarray.scalar, multiarray._reconstruct] + dtypes


def allow_mmengine_checkpoints() -> None:
    """Make checkpoints written by MMEngine loadable with ``weights_only``."""
    global _DONE
    if _DONE:
        return
    from mmengine.logging import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals([HistoryBuffer] + _numpy_globals())
    _DONE = True
