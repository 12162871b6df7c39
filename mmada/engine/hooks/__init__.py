from .active_learning_hook import ActiveLearningHook
from .signal_checkpoint_hook import CheckpointOnSignalHook

__all__ = ['ActiveLearningHook', 'CheckpointOnSignalHook']
