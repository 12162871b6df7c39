# RA at 20% (Table 1 "RA (20%)" re-run): RIPU's region acquisition, an equal
# share per image, no class balancing; otherwise the CBDA 20% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_20pct.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='RIPUScorer', k=1, mode='region'),
    allocator=dict(_delete_=True, type='PerImageAllocator'))
