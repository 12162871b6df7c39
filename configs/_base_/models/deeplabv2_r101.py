# DeepLab-v2 ResNet-101 as in AdaptSegNet / AdvEnt / RIPU: dilated ResNet
# (output stride 8), ASPP classifier with dilations 6/12/18/24 whose outputs
# are summed, BatchNorm frozen at its ImageNet statistics (batches of 2 + 2).
# The AdvEnt / AdaptSegNet configs (configs/uda) keep BatchNorm in training
# mode with frozen affine weights, one forward per domain, as their code does.
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='MultiDomainDataPreProcessor',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        # Batches are padded to a multiple of 8; leaf configs may set
        # ``size=crop_size`` instead (with ``size_divisor=None``).
        size_divisor=8))
# Optional layer3 classifier for methods that need multi-level outputs:
# ``model = dict(auxiliary_head={{_base_.layer3_aux_head}})`` (the model has no
# ``auxiliary_head`` key, so a leaf can add one by merging).
layer3_aux_head = dict(
    type='ASPPV2Head',
    in_channels=1024,
    in_index=0,
    num_classes=19,
    dilations=(6, 12, 18, 24),
    align_corners=False,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1,
        avg_non_ignore=True))
model = dict(
    type='TwoDomainSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=True,
        contract_dilation=True,
        init_cfg=dict(type='ImageNetPretrained', checkpoint='torchvision://resnet101')),
    decode_head=dict(
        type='ASPPV2Head',
        in_channels=2048,
        in_index=1,
        num_classes=19,
        dilations=(6, 12, 18, 24),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
