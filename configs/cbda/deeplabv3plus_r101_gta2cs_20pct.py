# CBDA, Table 1 "CBDA (20%)": the 10% config with 20% of the target pixels.
_base_ = ['./deeplabv3plus_r101_gta2cs_10pct.py']
active_learning = dict(budget=dict(value=0.20))
