from .config import prepare_cfg
from .errors import AnnotationRequired, UserFacingError

__all__ = ['AnnotationRequired', 'UserFacingError', 'prepare_cfg']
