# Table VI "Full Model" (20 % labelled pixels, 66.7 mIoU): AL (w AS) + the three
# levels of contrastive units, p2p + c2c, DCCM.
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss}}])
