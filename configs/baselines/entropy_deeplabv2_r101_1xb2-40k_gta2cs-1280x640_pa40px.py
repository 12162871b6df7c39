# Entropy baseline (RIPU Table 4 "ENT", pixel-based): the pixels of highest
# entropy, top-N without neighbourhood suppression (RIPU Sec. 4.4.2: ENT and
# SCONF "suffer from the aggregation of selected pixels"); otherwise the
# random PA 40 px baseline.
_base_ = ['./random_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_pa40px.py']
active_learning = dict(scorer=dict(type='EntropyScorer'), unit=dict(suppress_k=0))
