# CBDA ablation (appendix F, Fig. 4) "RA": RIPU's region acquisition, an
# equal share of the budget per image and no class balancing (Table 1
# "RA (10%)"); otherwise the CBDA 10% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_10pct.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='RIPUScorer', k=1, mode='region'),
    allocator=dict(_delete_=True, type='PerImageAllocator'))
