# ADA-MCU full model, SYNTHIA -> Cityscapes, 3.4 % of the target pixels (Table II,
# mIoU13): the ada-mcu-as config + contrastive units and DCCM over SYNTHIA's 16 classes.
_base_ = [
    './ada-mcu-as_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_3.4pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_synthia}}])
