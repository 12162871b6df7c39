from .active_loop import ActiveIterBasedTrainLoop, set_label_store_dir
from .crash_safe_runner import CrashSafeRunner

__all__ = ['ActiveIterBasedTrainLoop', 'CrashSafeRunner', 'set_label_store_dir']
