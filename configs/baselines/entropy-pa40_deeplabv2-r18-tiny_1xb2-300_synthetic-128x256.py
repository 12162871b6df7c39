# Entropy baseline, pixel-based: 40 pixels per image in 5 rounds.
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_active.py',
    '../_base_/methods/pixel_40px.py'
]
# 128x256 images: 40 clicks per image (no rescaling); top-N pixels without
# neighbourhood suppression, as RIPU's ENT / SCONF baselines (Table 4).
active_learning = dict(
    budget=dict(reference_size=None),
    unit=dict(suppress_k=0),
    scorer=dict(type='EntropyScorer'))
