# CPU variant for the synthetic benchmark: the DAFormer decoder on a tiny
# MiT (4 stages of one block, 16-128 channels) trained from scratch; no
# ImageNet weights (none can be downloaded here), hence no feature distance.
_base_ = ['./daformer_mitb5.py']
model = dict(
    backbone=dict(
        embed_dims=16,
        num_layers=[1, 1, 1, 1],
        num_heads=[1, 2, 4, 8],
        drop_path_rate=0.0,
        init_cfg=None),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=64, embed_dims=64))
