# RIPU, region-based annotating (RA): the 3x3 squares and 2.2% budget of
# region_2.2pct.py scored by region impurity x region uncertainty (Eq. 7,
# k=1), with RIPU's losses (ripu.py; the leaf sets
# ``model = dict(extra_losses={{_base_.ripu_losses}})``).
_base_ = ['./region_2.2pct.py', './ripu.py']
active_learning = dict(scorer=dict(type='RIPUScorer', k=1, mode='region'))
