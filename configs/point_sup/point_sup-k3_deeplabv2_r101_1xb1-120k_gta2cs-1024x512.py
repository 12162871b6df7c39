# Table 3 ablation: the top K = 3 patches per image (3 x 5 points).
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py']
active_learning = dict(budget=dict(value=3 * 5))
