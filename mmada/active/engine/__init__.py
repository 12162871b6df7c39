"""The acquisition round engine: pool passes and acquisition rounds.

* :mod:`.pool`: :class:`PoolPass` runs the model over a pool (sharded over
  ranks, batched, on the model's device) and hands each image's named outputs
  to a consumer; :class:`PoolPasses` is what pool-level scorers get in
  ``prepare_round``; :class:`TargetPool` / :class:`SourcePool` are the pools.
* :mod:`.round`: :class:`AcquisitionRound` runs score -> unit greedy ->
  allocate -> queries -> oracle -> commit.

The hook (:class:`~mmada.engine.hooks.ActiveLearningHook`) decides *when* a
round runs and keeps the checkpoint state; ``tools/select.py`` runs a round
offline with the same engine.
"""
from .pool import PassRows, PoolPass, PoolPasses, SourcePool, TargetPool
from .round import AcquisitionRound, format_record, image_context, image_seed

__all__ = ['PassRows', 'PoolPass', 'PoolPasses', 'SourcePool', 'TargetPool', 'AcquisitionRound',
           'format_record', 'image_context', 'image_seed']
