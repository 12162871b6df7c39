# MIC on DAFormer (Hoyer et al., CVPR 2023), SYNTHIA -> Cityscapes (16
# classes): the DAFormer recipe of ../daformer plus masked image consistency;
# the feature distance is DAFormer's SYNTHIA one (its thing classes of the 16).
_base_ = ['../daformer/daformer_mit-b5_1xb2-40k_synthia2cs-512x512.py',
          '../_base_/methods/mic.py']
model = dict(
    batch_steps=[{{_base_.teacher}}, {{_base_.masking}}, {{_base_.mix}}],
    extra_losses=[
        {{_base_.pseudo_loss}},
        dict(type='ImageNetFeatureDistanceLoss', domain='source', loss_weight=0.005,
             num_classes=16, classes={{_base_.synthia_thing_classes}}, scale_min_ratio=0.75,
             backbone={{_base_.mit_b5}}),
        {{_base_.mic_loss}}],
    domain_loss_weights={{_base_.mic_domain_loss_weights}})
