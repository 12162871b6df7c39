# MADAv2 Table 4 "Random" baseline: images drawn uniformly (a random score per
# image: the mean of per-pixel uniform draws, seeded per image and round).
_base_ = ['../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(_delete_=True, type='RandomScorer'),
                       unit=dict(reduce='mean'))
