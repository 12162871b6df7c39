# Table 3 ablation: the top K = 2 patches per image (2 x 5 points).
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py']
active_learning = dict(budget=dict(value=2 * 5))
