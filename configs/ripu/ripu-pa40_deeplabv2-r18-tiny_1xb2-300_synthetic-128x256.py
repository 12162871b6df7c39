# RIPU, pixel-based annotating (PA): pixel entropy x region impurity, 40
# pixels per image in 5 rounds; k=32 at 640x1280 becomes k=6 at 128x256.
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_active.py',
    '../_base_/methods/pixel_40px.py', '../_base_/methods/ripu.py'
]
model = dict(extra_losses={{_base_.ripu_losses}})
active_learning = dict(
    budget=dict(reference_size=None),
    unit=dict(suppress_k=6),
    scorer=dict(type='RIPUScorer', k=6, mode='pixel'))
