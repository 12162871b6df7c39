# Table 3 ablation: the top K = 1 patches per image (1 x 5 points).
_base_ = ['./point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(budget=dict(value=1 * 5))
