# ADA-MCU multi-level contrastive units and DCCM (Sec. III-C, III-D, Eqs. 7-11),
# as one MultiLevelContrastiveLoss (mmada/models/losses/mcu_contrastive.py).
# Use as ``model = dict(extra_losses=[{{_base_.mcu_loss}}])``; the ablation rows of
# Tables V-VI are the other dicts below. The paper gives none of these values
# (no public code); each choice and its reason:
mcu_loss = dict(
    type='MultiLevelContrastiveLoss',
    # DeepLab-v2 R101: decoder_feats = layer4 (2048 channels); the tiny CPU
    # model overrides it (128).
    in_channels=2048,
    num_classes=19,
    # Full Model: the three levels, p2p + c2c, DCCM weights.
    levels=('intra_image', 'cross_image', 'cross_domain'),
    use_c2c=True,
    use_dccm=True,
    # Eq. 10 as written: w(u, v) = W[u, v] (the positive term by W[u, u], the
    # share of u predicted correctly). 'one_plus_rate' is the named alternative
    # (plain InfoNCE with confused pairs sharpened).
    dccm_form='rate',
    # EMA momentum of Eq. 8: a horizon of ~100 iterations (400 images at 2 + 2),
    # long enough to smooth the rates of a 4-image batch, short enough to follow
    # the model over a 40k schedule; rows of unseen classes keep their value.
    beta=0.99,
    # lambda of Eq. 10: 0.1, the temperature of the pixel-contrast loss the paper
    # follows for anchors and the projection head ([25], Wang et al., ICCV 2021).
    temperature=0.1,
    # Projection head of [25]: 1x1 conv (in -> in) - BN - ReLU - 1x1 conv to 256.
    channels=256,
    hidden_channels=None,
    # Bounded draws per image, the magnitudes of [25] (100 anchors per class
    # view, 1024 sampled pixels): the pairwise cost is at most 100 x 1024 per
    # image and unit, whatever the crop (benchmark: docs/benchmarks.md).
    anchors_per_image=100,
    samples_per_image=1024,
    # Target anchors: labelled pixels of the high-uncertainty group that the
    # model gets wrong; source anchors: every misclassified pixel (Sec. III-C-1).
    anchor_group_domains=('target', ),
    seed=0,
    # Weight of L_con (sum of p2p + c2c over the three levels) against the
    # segmentation loss: 1, as Sec. III-D-3's L_total = L_seg + L_con (the
    # weight of [25]'s contrastive term, 0.1, is not the paper's).
    loss_weight=1.0,
    loss_name='loss_mcu')
# Table V / VI rows (DCCM off except the Full Model):
# AL(w MCU_i): image-level units (intra- and cross-image), p2p (Table V, lower part).
mcu_loss_i = dict(mcu_loss, levels=('intra_image', 'cross_image'), use_c2c=False,
                  use_dccm=False)
# AL(w MCU_d) = AL(w p2p+c2c): + cross-domain units, p2p + c2c.
mcu_loss_d = dict(mcu_loss, use_dccm=False)
# AL(w p2p): the three levels, p2p only.
mcu_loss_p2p = dict(mcu_loss, use_c2c=False, use_dccm=False)
# Other models (the paper's DeepLab-v3+ row, Table IV): decoder_feats is the 256-d
# map after sep_bottleneck.
mcu_loss_v3plus = dict(mcu_loss, in_channels=256)
# SYNTHIA -> Cityscapes (Table II): SYNTHIA's 16 classes (synthia_16classes.py).
mcu_loss_synthia = dict(mcu_loss, num_classes=16)
# The tiny CPU model of the synthetic benchmark (layer4 of the narrow ResNet-18:
# 128 channels); its 128x256 crops hold 32768 pixels (512 feature cells), so 64
# anchors and 512 samples per image are a small fraction of them, as in the paper's
# setting.
mcu_loss_tiny = dict(mcu_loss, in_channels=128, anchors_per_image=64, samples_per_image=512)
