# ADA-MCU "AL (w/o AS)" (Table VI) on the synthetic benchmark: no adaptive
# sampling; every unlabelled G_h pixel is labelled (until the budget) and
# every G_l pixel pseudo-labelled.
_base_ = ['./ada-mcu-as-5pct_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
model = dict(online_acquisition={{_base_.ada_mcu_without_as}})
