# DeepLab-v3+ ResNet-101 as in the MADA / MADAv2 authors' code: 256-channel
# ASPP and decoder (mmseg's default head has 512), so the image vectors of
# the anchors are 19 x 256 = 4,864-d (SYNTHIA: 16 x 256).
_base_ = ['./deeplabv3plus_r101.py']
model = dict(decode_head=dict(channels=256))
