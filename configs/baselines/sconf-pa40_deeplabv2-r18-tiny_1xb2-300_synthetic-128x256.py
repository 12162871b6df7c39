# SoftmaxConfidence baseline, pixel-based: 40 pixels per image in 5 rounds.
# Top-N pixels without suppression; otherwise the entropy PA baseline.
_base_ = ['./entropy-pa40_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
active_learning = dict(scorer=dict(type='SoftmaxConfidenceScorer'))
