"""Teachers that pseudo-label unlabelled images (batch steps)."""
from .pseudo_label_teacher import (PseudoLabelTeacher, ema_momentum, ema_update,
                                   merge_pseudo_labels, quality_weight)

__all__ = ['PseudoLabelTeacher', 'merge_pseudo_labels', 'quality_weight', 'ema_momentum',
           'ema_update']
