"""mmada: active domain adaptation for semantic segmentation on mmseg 1.x."""
from .engine.compat import allow_mmengine_checkpoints

__version__ = '0.1.0'

allow_mmengine_checkpoints()  # the one MMEngine fix, see mmada.engine.compat

__all__ = ['__version__']
