from .config import add_launch_args, load_cfg, prepare_cfg
from .config_text import FormattedOnceConfig
from .dist import finish_distributed, run_tool
from .errors import AnnotationRequired, StoppedBySignal, UserFacingError
from .runner import build_runner

__all__ = [
    'AnnotationRequired', 'FormattedOnceConfig', 'StoppedBySignal', 'UserFacingError',
    'add_launch_args', 'build_runner',
    'finish_distributed', 'load_cfg', 'prepare_cfg', 'run_tool'
]
