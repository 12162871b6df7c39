# "AL (w/o AS)" row of Table VI (43.2 mIoU at 20 %): no adaptive sampling;
# every unlabelled G_h pixel is labelled until the budget and every G_l
# pixel pseudo-labelled.
_base_ = ['./ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py']
model = dict(online_acquisition={{_base_.ada_mcu_without_as}})
