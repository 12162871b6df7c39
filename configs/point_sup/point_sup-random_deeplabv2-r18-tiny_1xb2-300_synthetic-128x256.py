# Table 1 "Random selection": K = 10 random patches per image (uniform pixel scores,
# mean per patch: every patch is equally likely), 5 points each.
_base_ = ['./point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(_delete_=True, type='RandomScorer'), unit=dict(reduce='mean'))
