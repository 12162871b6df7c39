"""On-device batch mixers (batch steps): MADAv2's adaptive cutmix and copy-paste."""
from .adaptive_mix import (AdaptiveCopyPaste, AdaptiveCutMix, adaptive_copy_paste,
                           adaptive_cutmix, class_confidence, class_sampling_probs,
                           cutmix_box, update_class_confidence)

__all__ = [
    'AdaptiveCutMix', 'AdaptiveCopyPaste', 'adaptive_cutmix', 'adaptive_copy_paste',
    'class_confidence', 'class_sampling_probs', 'cutmix_box', 'update_class_confidence'
]
