"""On-device batch mixers (batch steps): MADAv2's adaptive cutmix and copy-paste, DACS, MIC."""
from .adaptive_mix import (AdaptiveCopyPaste, AdaptiveCutMix, adaptive_copy_paste,
                           adaptive_cutmix, class_confidence, class_sampling_probs,
                           cutmix_box, update_class_confidence)
from .class_mix import (DACSMix, blur_kernel_size, class_mix_mask, color_jitter,
                        gaussian_blur, mix, norm_stats, strong_augment)
from .masking import MaskedImageConsistency, block_mask, mask_images

__all__ = [
    'AdaptiveCutMix', 'AdaptiveCopyPaste', 'adaptive_cutmix', 'adaptive_copy_paste',
    'class_confidence', 'class_sampling_probs', 'cutmix_box', 'update_class_confidence',
    'DACSMix', 'class_mix_mask', 'mix', 'color_jitter', 'gaussian_blur', 'blur_kernel_size',
    'norm_stats', 'strong_augment', 'MaskedImageConsistency', 'block_mask', 'mask_images'
]
