# CBDA acquisition (Schachtsiek et al.): RIPU's 3x3 region score (k=1,
# impurity x uncertainty) re-weighted per pseudo-label class towards a uniform
# class budget (Class Balancing, Eqs. 1-3) and picked dataset-wide (Dynamic
# Acquisition, Alg. 3), on top of RIPU's region budget (2.2%; leaf configs set
# theirs) and RIPU's losses (CBDA Sec. 1.1). Leaf configs add
# ``model = dict(extra_losses={{_base_.ripu_losses}})``.
_base_ = ['./region_2.2pct.py', './ripu.py']
active_learning = dict(
    scorer=dict(type='ClassBalancedScorer',
                scorer=dict(type='RIPUScorer', k=1, mode='region')),
    allocator=dict(_delete_=True, type='GlobalTopNAllocator'))
