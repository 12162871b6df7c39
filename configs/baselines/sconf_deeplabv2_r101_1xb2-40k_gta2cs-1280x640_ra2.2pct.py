# Softmax-confidence baseline (RIPU Table 4 "SCONF", region-based): the 3x3
# squares of highest mean 1 - max softmax; otherwise the random RA 2.2%
# baseline.
_base_ = ['./random_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
# A region's score is the mean of its pixel scores (RIPU Table 4 baselines).
active_learning = dict(
    scorer=dict(type='SoftmaxConfidenceScorer'), unit=dict(type='SquareRegionUnit', k=1, reduce='mean'))
