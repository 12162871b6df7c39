# CBDA ablation (appendix F, Fig. 4) "CBRA" at 5%: class-balanced RIPU scores
# with an equal share of the budget per image; otherwise the CBDA 5% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_5pct.py']
active_learning = dict(allocator=dict(_delete_=True, type='PerImageAllocator'))
