# MADAv2 Table 4 "Prototype" baseline (Eq. 19): distance to a single source centroid.
_base_ = ['../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(mode='mada', num_anchors=1))
