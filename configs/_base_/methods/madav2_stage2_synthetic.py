# MADAv2 stage 2 on the embedded synthetic benchmark (DeepLab-v2 r18 tiny,
# 2 x 128x256 target crops, 300 iterations): the pieces of madav2_stage2.py
# with the values that depend on the model and the image size.
_base_ = ['./madav2_stage2.py']
# Batches of 2 pairs (the benchmark's): a fixed 2 labelled targets would leave
# none for the teacher, so half of the targets are drawn from the labelled
# images at random (ACP, which needs two, runs in about a quarter of the steps).
stage2_sampler = dict(_delete_=True, type='LabelledTargetTwoDomainSampler', labelled_ratio=0.5)
# OHEM's 100,000 of the authors' 4 x 896x512 pixels (5.4 %) -> 3,600 of 2 x 128x256.
stage2_ohem_labelled = dict(min_kept=3600)
stage2_ohem_unlabelled = dict(min_kept=3600)
# The tiny DeepLab-v2's classifier sees 128-d features; the soft-anchor loss
# starts after a quarter of the 300 iterations (the code: epoch 50 of 200).
stage2_anchor_loss = dict(feat_channels=128, start_iter=75)
