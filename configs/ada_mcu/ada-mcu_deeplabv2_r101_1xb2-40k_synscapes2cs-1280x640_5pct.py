# ADA-MCU full model, Synscapes -> Cityscapes, 5 % (Table III): the ada-mcu-as
# config + contrastive units and DCCM.
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_synscapes2cs-1280x640_5pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss}}])
