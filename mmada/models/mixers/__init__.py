"""On-device batch mixers (batch steps): MADAv2's adaptive cutmix and copy-paste, DACS."""
from .adaptive_mix import (AdaptiveCopyPaste, AdaptiveCutMix, adaptive_copy_paste,
                           adaptive_cutmix, class_confidence, class_sampling_probs,
                           cutmix_box, update_class_confidence)
from .class_mix import (DACSMix, blur_kernel_size, class_mix_mask, color_jitter,
                        gaussian_blur, mix)

__all__ = [
    'AdaptiveCutMix', 'AdaptiveCopyPaste', 'adaptive_cutmix', 'adaptive_copy_paste',
    'class_confidence', 'class_sampling_probs', 'cutmix_box', 'update_class_confidence',
    'DACSMix', 'class_mix_mask', 'mix', 'color_jitter', 'gaussian_blur', 'blur_kernel_size'
]
