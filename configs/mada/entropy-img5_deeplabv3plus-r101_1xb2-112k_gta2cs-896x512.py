# MADAv2 Table 4 "Entropy" (Eq. 16): images with the highest summed normalised
# pixel entropy under the warm-up model; then stage 1.
_base_ = ['../madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
active_learning = dict(scorer=dict(_delete_=True, type='EntropyScorer', normalize=True),
                       unit=dict(reduce='sum'))
