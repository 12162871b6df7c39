# CBDA ablation (appendix F, Fig. 4) "DA" at 5% with the "spread" rounds
# [10k, 18k, 24k, 28k, 30k]; otherwise deeplabv3plus_r101_gta2cs_5pct_da.py.
_base_ = ['./deeplabv3plus_r101_gta2cs_5pct_da.py']
active_rounds = {{_base_.spread_rounds}}
