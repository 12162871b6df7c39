# MADAv2 Table 4 "Entropy" baseline (Eq. 16): images with the highest summed
# normalised pixel entropy.
_base_ = ['../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(_delete_=True, type='EntropyScorer', normalize=True),
                       unit=dict(reduce='sum'))
