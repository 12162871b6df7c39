# MADAv2 Table 4 "Prototype" (Eq. 19): distance to a single source centroid; then stage 1.
_base_ = ['../madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
active_learning = dict(scorer=dict(mode='mada', num_anchors=1))
