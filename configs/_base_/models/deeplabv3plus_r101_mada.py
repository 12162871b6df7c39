# DeepLab-v3+ ResNet-101 as in the MADA / MADAv2 authors' code (warm-up, stage 1
# and stage 2): output stride 16 (layer3 stride 2, layer4 dilation 2 with the
# multi-grid 1-2-4, ASPP dilations 6/12/18), BatchNorm trained in training mode
# (the code's synchronised BN: SyncBN, which MMEngine turns into BN on a single
# process), 256-channel ASPP and decoder (mmseg's default head has 512), so the
# image vectors of the anchors are 19 x 256 = 4,864-d (SYNTHIA: 16 x 256). The
# code forwards each domain (and each kind of target image) separately: here
# every BatchNorm in training mode sees one domain at a time (per_domain).
_base_ = ['./deeplabv3plus_r101.py']
mada_norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2), multi_grid=(1, 2, 4),
                  norm_cfg=mada_norm_cfg, norm_eval=False),
    decode_head=dict(channels=256, dilations=(1, 6, 12, 18), norm_cfg=mada_norm_cfg),
    domain_forward='per_domain')
