# CBDA, appendix C Table 2 "CBDA (20%)": the SYNTHIA 10% config with 20%
# of the target pixels.
_base_ = ['./deeplabv3plus_r101_synthia2cs_10pct.py']
active_learning = dict(budget=dict(value=0.20))
