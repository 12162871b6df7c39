# CBDA (10%) with the appendix F "spread" rounds [10k, 18k, 24k, 28k, 30k]
# (spread_rounds of schedule_40k_active.py; schedule_40k_active_spread.py is
# the same schedule as a base) instead of RIPU's [10k..18k]; otherwise the
# CBDA 10% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_10pct.py']
active_rounds = {{_base_.spread_rounds}}
