# CBDA (10%) with the appendix F "spread" rounds [10k, 18k, 24k, 28k, 30k]
# (schedule_40k_active_spread.py) instead of RIPU's [10k..18k]; otherwise the
# CBDA 10% config (deeplabv3plus_r101_gta2cs_10pct.py).
_base_ = [
    '../_base_/models/deeplabv3plus_r101_ripu.py',
    '../_base_/datasets/gta2cs_ripu_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_active_spread.py',
    '../_base_/methods/cbda.py'
]
model = dict(extra_losses={{_base_.ripu_losses}})
active_learning = dict(budget=dict(value=0.10))  # of all target pixels (the base has 2.2%)
