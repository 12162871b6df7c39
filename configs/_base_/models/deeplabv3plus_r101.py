# DeepLab-v3+ ResNet-101 (mmseg's head) as in RIPU / CBDA / MADA: ResNet-V1c
# with output stride 8, backbone BatchNorm frozen at ImageNet statistics.
_base_ = ['./deeplabv2_r101.py']
model = dict(
    backbone=dict(
        type='ResNetV1c',
        out_indices=(0, 1, 2, 3),
        init_cfg=dict(
            type='ImageNetPretrained', checkpoint='open-mmlab://resnet101_v1c')),
    decode_head=dict(
        _delete_=True,
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)))
# Backbone outputs here are layer1..layer4 (out_indices 0-3): the layer3
# classifier of deeplabv2_r101.py reads index 2 (1024 channels), not 0
# (layer1, 256 channels).
layer3_aux_head = dict(in_index=2)
