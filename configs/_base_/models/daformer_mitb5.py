# DAFormer (Hoyer et al., CVPR 2022, Sec. 3.3): mmseg's MixVisionTransformer
# MiT-B5 encoder (ImageNet weights) and the context-aware fusion decoder
# (the authors' daformer_sepaspp_mitb5: 256-d level embeddings, depthwise
# separable ASPP with dilations 1/6/12/18 and BatchNorm, dropout 0.1).
#
# ImageNet weights: SegFormer's mit_b5.pth, converted to mmseg 1.x keys with
# mmsegmentation's tools/model_converters/mit2mmseg.py, at mit_b5_checkpoint
# (tools/train.py stops before building anything when the file is missing,
# naming this key: model.backbone.init_cfg.checkpoint).
norm_cfg = dict(type='BN', requires_grad=True)
mit_b5_checkpoint = 'pretrain/mit_b5.pth'
data_preprocessor = dict(
    type='MultiDomainDataPreProcessor',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size_divisor=32))
mit_b5 = dict(
    type='MixVisionTransformer',
    in_channels=3,
    embed_dims=64,
    num_stages=4,
    num_layers=[3, 6, 40, 3],
    num_heads=[1, 2, 5, 8],
    patch_sizes=[7, 3, 3, 3],
    sr_ratios=[8, 4, 2, 1],
    out_indices=(0, 1, 2, 3),
    mlp_ratio=4,
    qkv_bias=True,
    drop_rate=0.0,
    attn_drop_rate=0.0,
    drop_path_rate=0.1,
    init_cfg=dict(type='ImageNetPretrained', checkpoint=mit_b5_checkpoint))
model = dict(
    type='TwoDomainSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=mit_b5,
    decode_head=dict(
        type='DAFormerHead',
        in_channels=[64, 128, 320, 512],
        in_index=[0, 1, 2, 3],
        channels=256,
        embed_dims=256,
        dilations=(1, 6, 12, 18),
        separable=True,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# DAFormer's thing-class ImageNet feature distance (Sec. 3.2): the source
# features of the thing classes (Cityscapes train ids of traffic light, sign,
# person, rider, car, truck, bus, train, motorcycle, bicycle) stay close to a
# frozen copy of this encoder with its ImageNet weights; lambda 0.005.
fd = dict(type='ImageNetFeatureDistanceLoss', domain='source', loss_weight=0.005,
          num_classes=19, classes=(6, 7, 11, 12, 13, 14, 15, 16, 17, 18),
          scale_min_ratio=0.75, backbone=mit_b5)
