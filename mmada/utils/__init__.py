from .config import finish_distributed, prepare_cfg
from .errors import AnnotationRequired, UserFacingError

__all__ = ['AnnotationRequired', 'UserFacingError', 'finish_distributed', 'prepare_cfg']
