# Table VI "AL (w MCU_d)" = "AL (w p2p+c2c)" (66.1 mIoU, the paper says the two rows
# are one setting): AL (w AS) + image- and domain-level units, p2p + c2c, no DCCM.
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_20pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_d}}])
