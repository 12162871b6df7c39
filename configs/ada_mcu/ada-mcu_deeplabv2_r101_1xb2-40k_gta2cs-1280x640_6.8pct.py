# ADA-MCU full model, GTA5 -> Cityscapes, 6.8 % of the target pixels (Table I):
# online acquisition with adaptive sampling (the ada-mcu-as config) + the
# multi-level contrastive units (intra-image, cross-image, cross-domain; p2p + c2c)
# weighted by DCCM (_base_/methods/ada_mcu_contrastive.py).
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_6.8pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss}}])
