# MIC on DAFormer (Hoyer et al., CVPR 2023), GTA5 -> Cityscapes: DAFormer's
# recipe (../daformer) plus masked image consistency (32 x 32 patches on these
# half-resolution crops, ratio 0.7, lambda 1; the paper's Table 1 setting).
# Needs the ImageNet weights at pretrain/mit_b5.pth.
_base_ = ['../daformer/daformer_mit-b5_1xb2-40k_gta2cs-512x512.py', '../_base_/methods/mic.py']
model = dict(
    batch_steps=[{{_base_.teacher}}, {{_base_.masking}}, {{_base_.mix}}],
    extra_losses=[{{_base_.pseudo_loss}}, {{_base_.fd}}, {{_base_.mic_loss}}],
    domain_loss_weights={{_base_.mic_domain_loss_weights}})
