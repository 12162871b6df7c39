# MADA (ICCV 2021) selection: distance to the nearest *source* anchor only.
_base_ = ['../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(mode='mada'))
