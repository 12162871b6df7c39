# ADA-MCU full model with DeepLab-v3+ R101, GTA5 -> Cityscapes, 5 % (Table IV): the
# ada-mcu-as config + contrastive units and DCCM on the 256-d decoder features
# (after sep_bottleneck).
_base_ = [
    './ada-mcu-as_deeplabv3plus_r101_1xb2-40k_gta2cs-896x512_5pct.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.ada_mcu_pseudo_loss}}, {{_base_.mcu_loss_v3plus}}])
