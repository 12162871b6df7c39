# Random baseline, pixel-based: 40 pixels per image in 5 rounds.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/pixel_40px.py']
# 128x256 images: 40 clicks per image (no rescaling), suppression k=32 at
# 640x1280 scaled to k=6 at this width.
active_learning = dict(
    budget=dict(reference_size=None), unit=dict(suppress_k=6), scorer=dict(type='RandomScorer'))
