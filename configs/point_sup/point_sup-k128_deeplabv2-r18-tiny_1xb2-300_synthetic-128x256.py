# Table 3, K = 128: all 5 points of all 128 patches by the oracle, no pseudo label left:
# the full-labelling upper bound of Table 1 (point_sup-full is this config).
_base_ = ['./point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(budget=dict(value=128 * 5))
