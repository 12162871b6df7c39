# Random baseline (RIPU Table 4 "RAND", pixel-based): 40 pixels per image
# (at 640x1280) drawn uniformly, each suppressing its 65x65 neighbourhood,
# in 5 rounds; DeepLab-v2 R101 on GTA5 -> Cityscapes, RIPU's data and
# training setup, plain cross-entropy (no RIPU losses, RIPU appendix 6.2).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta2cs_ripu_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_active.py',
    '../_base_/methods/pixel_40px.py'
]
active_learning = dict(scorer=dict(type='RandomScorer'))
# RIPU Sec. 4.1: weight decay 1e-4 (schedule_40k.py has AdvEnt's 5e-4); the
# authors' poly schedule decays over 62.5k iterations and stops at 40k.
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=62500, by_epoch=False)
]
