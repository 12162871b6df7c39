# ADA-MCU "AL (w AS)", GTA5 -> Cityscapes, 16.8 % of the target pixels
# (Table I); the 1.7 % config with a budget 16.8/1.7 times larger, drawn
# 16.8/1.7 times faster (samples per group and image scaled alike).
_base_ = ['./ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_1.7pct.py']
model = dict(online_acquisition=dict(budget=dict(value=0.168), samples_per_image=20239))
