# RIPU, pixel-based annotating (PA): the 40 pixels per image of pixel_40px.py
# scored by pixel entropy x impurity of its 65x65 window (k=32, the window
# each pick suppresses), with RIPU's losses (ripu.py; the leaf sets
# ``model = dict(extra_losses={{_base_.ripu_losses}})``).
_base_ = ['./pixel_40px.py', './ripu.py']
active_learning = dict(scorer=dict(type='RIPUScorer', k=32, mode='pixel'))
