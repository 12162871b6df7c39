# "AL (w AS)" row of Table VI (ablations at 20 % labelled pixels, 64.3 mIoU).
_base_ = ['./ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_1.7pct.py']
model = dict(online_acquisition=dict(budget=dict(value=0.2), samples_per_image=24094))
