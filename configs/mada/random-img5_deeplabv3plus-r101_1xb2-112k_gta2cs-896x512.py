# MADAv2 Table 4 "Random": 5 % of the images drawn uniformly; then stage 1.
_base_ = ['../madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
active_learning = dict(scorer=dict(_delete_=True, type='RandomScorer'),
                       unit=dict(reduce='mean'))
