# CPU variant for the synthetic benchmark: DeepLab-v2 layout (dilated ResNet,
# output stride 8, summed ASPP classifier) on a narrow ResNet-18 trained from
# scratch, so BatchNorm is trainable.
_base_ = ['./deeplabv2_r101.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    decode_head=dict(in_channels=128, dilations=(2, 4, 6, 8)))
layer3_aux_head = dict(in_channels=64, dilations=(2, 4, 6, 8))
