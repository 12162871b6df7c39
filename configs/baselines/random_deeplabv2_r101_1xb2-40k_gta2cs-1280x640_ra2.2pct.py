# Random baseline (RIPU Table 4 "RAND", region-based): 3x3 squares drawn
# uniformly in every target image, 2.2% of the target pixels in 5 rounds;
# DeepLab-v2 R101 on GTA5 -> Cityscapes, RIPU's data and training setup,
# plain cross-entropy (no RIPU losses, as in RIPU appendix 6.2).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/datasets/gta2cs_ripu_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k_active.py',
          '../_base_/methods/region_2.2pct.py']
active_learning = dict(scorer=dict(type='RandomScorer'))
