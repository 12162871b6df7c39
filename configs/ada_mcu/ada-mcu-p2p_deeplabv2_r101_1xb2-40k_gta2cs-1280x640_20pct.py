# Table VI "AL (w p2p)" (65.4 mIoU): AL (w AS) + pixel-to-pixel units at the three
# levels, no c2c, no DCCM.
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_p2p}}])
