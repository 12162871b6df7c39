# Random baseline (RIPU Table 4 "RAND", pixel-based): 40 pixels per image
# (at 640x1280) drawn uniformly, each suppressing its 65x65 neighbourhood,
# in 5 rounds; DeepLab-v2 R101 on GTA5 -> Cityscapes, RIPU's data and
# training setup, plain cross-entropy (no RIPU losses, RIPU appendix 6.2).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/datasets/gta2cs_ripu_active_sparse.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k_active.py',
          '../_base_/methods/pixel_40px.py']
active_learning = dict(scorer=dict(type='RandomScorer'))
