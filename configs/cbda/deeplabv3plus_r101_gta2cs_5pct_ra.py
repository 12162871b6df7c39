# CBDA ablation (appendix F, Fig. 4) "RA" at 5%: RIPU's region acquisition,
# an equal share of the budget per image, no class balancing (Table 1 "RA (5%)"
# re-run); otherwise the CBDA 5% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_5pct.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='RIPUScorer', k=1, mode='region'),
    allocator=dict(_delete_=True, type='PerImageAllocator'))
