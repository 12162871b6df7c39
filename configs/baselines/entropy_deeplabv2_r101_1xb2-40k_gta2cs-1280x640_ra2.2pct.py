# Entropy baseline (RIPU Table 4 "ENT", region-based): the 3x3 squares of
# highest mean pixel entropy; otherwise the random RA 2.2% baseline.
_base_ = ['./random_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
# A region's score is the mean of its pixel scores (RIPU Table 4 baselines).
active_learning = dict(
    scorer=dict(type='EntropyScorer'), unit=dict(type='SquareRegionUnit', k=1, reduce='mean'))
