# ADA-MCU's multi-level contrastive units + DCCM (Full Model losses) on the tiny
# CPU model of the synthetic benchmark, with target labels acquired in rounds
# (the random pixel baseline, 40 px per image) instead of online: without an
# online acquisition there is no uncertainty group map, so target anchors are
# the misclassified labelled pixels and the class centres come from correctly
# predicted samples (see MultiLevelContrastiveLoss). A test and benchmark
# config for the losses; the paper's configs are the ada-mcu_* ones.
_base_ = [
    '../baselines/random-pa40_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
    '../_base_/methods/ada_mcu_contrastive.py'
]
model = dict(extra_losses=[{{_base_.mcu_loss_tiny}}])
