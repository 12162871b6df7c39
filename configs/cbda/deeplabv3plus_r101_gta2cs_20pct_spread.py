# CBDA (20%) with the appendix F "spread" rounds [10k, 18k, 24k, 28k, 30k]
# (spread_rounds of schedule_40k_active.py); otherwise the CBDA 20% config.
_base_ = ['./deeplabv3plus_r101_gta2cs_20pct.py']
active_rounds = {{_base_.spread_rounds}}
