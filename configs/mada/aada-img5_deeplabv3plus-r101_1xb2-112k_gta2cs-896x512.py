# MADAv2 Table 4 "AADA" (Su et al., WACV 2020; Eq. 18): E_ent x E_adv, the summed
# normalised entropy of the image times the discriminator's odds; then stage 1.
_base_ = ['./adversarial-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
active_learning = dict(scorer=dict(type='AADAImageScorer'), unit=dict(reduce='sum'))
