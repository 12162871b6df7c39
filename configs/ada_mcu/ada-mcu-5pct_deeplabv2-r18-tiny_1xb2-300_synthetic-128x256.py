# ADA-MCU full model on the synthetic benchmark: the synthetic AL (w AS) config
# (online acquisition, 5 %) + contrastive units and DCCM on the tiny model.
_base_ = [
    './ada-mcu-as-5pct_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_tiny}}])
