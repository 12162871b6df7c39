# Table 3, K = 0: no point is asked (a pseudo-label-only round): the self-training
# lower bound (Table 1 "Self-training"), pseudo labels at the points of all 128 patches.
_base_ = ['./point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(budget=dict(value=0))
