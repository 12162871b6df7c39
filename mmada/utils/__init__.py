from .config import add_launch_args, finish_distributed, load_cfg, prepare_cfg
from .errors import AnnotationRequired, UserFacingError

__all__ = [
    'AnnotationRequired', 'UserFacingError', 'add_launch_args', 'finish_distributed', 'load_cfg',
    'prepare_cfg'
]
