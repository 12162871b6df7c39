# SoftmaxConfidence baseline, region-based: 3x3 squares, 2.2% of target pixels in 5 rounds.
# A region's score is the mean of its pixel scores; otherwise the entropy RA baseline.
_base_ = ['./entropy-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(type='SoftmaxConfidenceScorer'))
