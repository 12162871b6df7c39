from .active_learning_hook import ActiveLearningHook
from .anchor_init_hook import TargetAnchorInitHook
from .batch_check_hook import TrainBatchCheckHook
from .online_acquisition_hook import OnlineAcquisitionHook
from .signal_checkpoint_hook import CheckpointOnSignalHook

__all__ = ['ActiveLearningHook', 'OnlineAcquisitionHook', 'CheckpointOnSignalHook',
           'TargetAnchorInitHook', 'TrainBatchCheckHook']
