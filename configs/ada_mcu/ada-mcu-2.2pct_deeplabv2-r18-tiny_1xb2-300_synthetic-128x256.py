# ADA-MCU full model on the synthetic benchmark at the demo's pixel budget:
# the synthetic full model (online acquisition + contrastive units + DCCM)
# with 2.2 % of the target pixels, the budget of the demo's region rows.
_base_ = ['./ada-mcu-5pct_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
model = dict(online_acquisition=dict(budget=dict(type='ratio', value=0.022)))
