# Table 3, K = 128: all 5 points of all 128 patches by the oracle, no pseudo label
# left: the full-labelling upper bound (point_sup-full is this config).
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py']
active_learning = dict(budget=dict(value=128 * 5))
