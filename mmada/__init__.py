"""mmada: active domain adaptation for semantic segmentation on mmseg 1.x."""
from .engine.compat import allow_mmengine_checkpoints, make_checkpoints_crash_safe

__version__ = '0.1.0'

allow_mmengine_checkpoints()
make_checkpoints_crash_safe()

__all__ = ['__version__']
