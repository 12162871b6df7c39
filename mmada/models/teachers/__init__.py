"""Teachers that pseudo-label unlabelled images (batch steps)."""
from .pseudo_label_teacher import PseudoLabelTeacher, merge_pseudo_labels

__all__ = ['PseudoLabelTeacher', 'merge_pseudo_labels']
