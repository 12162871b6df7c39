# DeepLab-v3+ ResNet-101 as the RIPU authors ran it (BIT-DA/RIPU,
# core/models: "deeplabv3plus_resnet101"), which CBDA re-uses: the
# torchvision ResNet-101 of deeplabv2_r101.py (7x7 stem, ImageNet weights,
# output stride 8, BatchNorm frozen at ImageNet statistics) with layer1 for
# the decoder shortcut, and a depthwise-separable ASPP head with dilations
# 1/6/12/18 (mmseg's deeplabv3plus_r101.py: 1/12/24/36 on ResNet-V1c) whose
# BatchNorm layers are frozen at their initial values (FrozenBN: the authors'
# FrozenBatchNorm2d, i.e. no normalisation in the head, batches of 2 + 2),
# bilinear resizing with align_corners=True as in their code.
# mmseg's v3+ stays available as deeplabv3plus_r101.py.
_base_ = ['./deeplabv2_r101.py']
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 6, 12, 18),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='FrozenBN'),
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)))
# Backbone outputs are layer1..layer4: the layer3 classifier reads index 2.
layer3_aux_head = dict(in_index=2)
