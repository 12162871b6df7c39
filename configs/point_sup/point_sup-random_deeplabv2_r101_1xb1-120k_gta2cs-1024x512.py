# Tables 1-2 "Random selection": K = 10 random patches per image (uniform pixel
# scores, mean per patch: every patch equally likely), 5 points each.
_base_ = ['./point_sup_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py']
active_learning = dict(scorer=dict(_delete_=True, type='RandomScorer'), unit=dict(reduce='mean'))
