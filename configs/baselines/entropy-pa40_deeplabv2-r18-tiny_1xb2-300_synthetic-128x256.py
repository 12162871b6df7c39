# Entropy baseline, pixel-based: 40 pixels per image in 5 rounds.
_base_ = ['./random-pa40_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
# top-N pixels without neighbourhood suppression, as RIPU's ENT / SCONF
# baselines (Table 4).
active_learning = dict(unit=dict(suppress_k=0), scorer=dict(type='EntropyScorer'))
