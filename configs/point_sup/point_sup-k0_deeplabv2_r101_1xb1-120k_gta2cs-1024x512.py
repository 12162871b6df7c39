# Table 3, K = 0: no point is asked (a pseudo-label-only round): the self-training
# lower bound (Tables 1-2 "Self-training"), pseudo labels at the points of all 128 patches.
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py']
active_learning = dict(budget=dict(value=0))
