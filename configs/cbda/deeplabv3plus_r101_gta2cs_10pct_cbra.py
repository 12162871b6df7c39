# CBDA ablation (appendix F, Fig. 4) "CBRA": class-balanced RIPU scores with
# an equal share of the budget per image (no dynamic acquisition); otherwise
# the CBDA 10% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_10pct.py']
active_learning = dict(allocator=dict(_delete_=True, type='PerImageAllocator'))
