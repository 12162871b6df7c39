"""MMEngine 0.10.7 fixes, applied once when :mod:`mmada` is imported.

Two of them, both about checkpoints:

* :func:`allow_mmengine_checkpoints`: resuming under torch >= 2.6 (below);
* :func:`make_checkpoints_crash_safe`: atomic checkpoints and
  ``last_checkpoint``, old checkpoints deleted only after the new one is
  saved, and ``Runner.train`` settling ``--resume`` first (see
  :mod:`mmada.engine.checkpoint` and :mod:`mmada.engine.resume`).

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
_SAFE_DONE = False


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


def make_checkpoints_crash_safe() -> None:
    """Route MMEngine's checkpoint writing and ``Runner.train`` through mmada.

    * ``Runner.save_checkpoint`` writes local files atomically
      (:func:`mmada.engine.checkpoint.save_checkpoint`);
    * ``CheckpointHook`` writes ``last_checkpoint`` atomically and deletes
      checkpoints beyond ``max_keep_ckpts`` only after the new one is saved;
    * ``Runner.train`` first calls :func:`mmada.engine.resume.prepare_training`
      (stale temporary files, ``--resume`` decision, SIGTERM -> checkpoint);
    * ``Runner.build_dataloader`` makes dataloader workers ignore SIGTERM
      (the main process checkpoints and stops them).
    """
    global _SAFE_DONE
    if _SAFE_DONE:
        return
    import functools

    from mmengine.hooks import CheckpointHook
    from mmengine.hooks import checkpoint_hook as hook_module
    from mmengine.runner import Runner
    from mmengine.runner import runner as runner_module

    from mmada.engine import checkpoint, resume
    from mmada.engine.hooks import signal_checkpoint_hook as signal_hook

    runner_module.save_checkpoint = checkpoint.save_checkpoint
    hook_module.open = checkpoint._open_for_checkpoint_hook
    CheckpointHook._save_checkpoint_with_step = checkpoint.keep_until_saved(
        CheckpointHook._save_checkpoint_with_step)
    train = Runner.train

    @functools.wraps(train)
    def train_prepared(self, *args, **kwargs):
        try:
            resume.prepare_training(self)
            return train(self, *args, **kwargs)
        finally:
            resume.finish_training()

    Runner.train = train_prepared
    build_dataloader = Runner.build_dataloader

    @functools.wraps(build_dataloader)
    def build_shielded_dataloader(*args, **kwargs):
        return signal_hook.shield_workers(build_dataloader(*args, **kwargs))

    Runner.build_dataloader = staticmethod(build_shielded_dataloader)
    _SAFE_DONE = True
