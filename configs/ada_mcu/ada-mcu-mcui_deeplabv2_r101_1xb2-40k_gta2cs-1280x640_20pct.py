# Table VI "AL (w MCU_i)" (65.5 mIoU): AL (w AS) + image-level units (intra- and
# cross-image), pixel-to-pixel only, no DCCM (Table V: MCU-L_i; MCU-p2p).
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_i}}])
