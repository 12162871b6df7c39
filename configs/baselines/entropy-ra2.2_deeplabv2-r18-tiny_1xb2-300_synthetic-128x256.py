# Entropy baseline, region-based: 3x3 squares, 2.2% of target pixels in 5 rounds.
_base_ = ['./random-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
# A region's score is the mean of its pixel scores (RIPU Table 4 baselines).
active_learning = dict(
    scorer=dict(type='EntropyScorer'), unit=dict(type='SquareRegionUnit', k=1, reduce='mean'))
