from .active_learning_hook import ActiveLearningHook
from .online_acquisition_hook import OnlineAcquisitionHook
from .signal_checkpoint_hook import CheckpointOnSignalHook

__all__ = ['ActiveLearningHook', 'OnlineAcquisitionHook', 'CheckpointOnSignalHook']
