from .data_preprocessors import *  # noqa: F401,F403
from .discriminators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .init import ImageNetPretrainedInit, PretrainedWeightsError
from .losses import *  # noqa: F401,F403
from .mixers import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .teachers import *  # noqa: F401,F403

__all__ = ['ImageNetPretrainedInit', 'PretrainedWeightsError']
