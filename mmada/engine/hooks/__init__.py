from .active_learning_hook import ActiveLearningHook
from .anchor_init_hook import TargetAnchorInitHook
from .batch_check_hook import TrainBatchCheckHook
from .checkpoint_hook import CrashSafeCheckpointHook
from .ema_teacher_hook import EMATeacherHook, ema_teachers
from .online_acquisition_hook import OnlineAcquisitionHook
from .signal_checkpoint_hook import CheckpointOnSignalHook
from .step_seed_hook import StepSeedHook, step_seed

__all__ = ['ActiveLearningHook', 'OnlineAcquisitionHook', 'CheckpointOnSignalHook',
           'CrashSafeCheckpointHook', 'TargetAnchorInitHook', 'TrainBatchCheckHook',
           'EMATeacherHook', 'ema_teachers', 'StepSeedHook', 'step_seed']
