from .config import prepare_cfg
from .errors import UserFacingError

__all__ = ['UserFacingError', 'prepare_cfg']
