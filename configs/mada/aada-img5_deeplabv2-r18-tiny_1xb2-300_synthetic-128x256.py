# MADAv2 Table 4 "AADA" (Eq. 18) on the embedded benchmark: E_ent x E_adv with
# the synthetic AdaptSegNet run as the warm-up (see adversarial-img5_...).
_base_ = ['./adversarial-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(type='AADAImageScorer'), unit=dict(reduce='sum'))
