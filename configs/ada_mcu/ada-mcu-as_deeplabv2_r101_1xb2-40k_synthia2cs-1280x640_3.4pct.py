# ADA-MCU "AL (w AS)", SYNTHIA -> Cityscapes, 3.4 % of the target pixels
# (Table II); samples per group and image scaled with the budget.
_base_ = ['./ada-mcu-as_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_1.7pct.py']
model = dict(online_acquisition=dict(budget=dict(value=0.034), samples_per_image=4096))
