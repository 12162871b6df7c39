# MIC on the synthetic benchmark: the tiny-MiT DAFormer config of ../daformer
# (from scratch, 900 iterations, no feature distance) plus masked image
# consistency. The patch side keeps the authors' share of the crop side on
# DAFormer (32 of 512): 8 pixels of these 128-pixel-high images (16 x 32
# patches per image).
_base_ = ['../daformer/daformer_mit-tiny_1xb2-900_synthetic-128x256.py',
          '../_base_/methods/mic.py']
model = dict(
    batch_steps=[
        dict(type='PseudoLabelTeacher', mode='ema', out_domain='target',
             quality_threshold=0.968),
        dict(type='MaskedImageConsistency', block_size=8, mask_ratio=0.7),
        {{_base_.mix}}],
    extra_losses=[{{_base_.pseudo_loss}}, {{_base_.mic_loss}}],
    domain_loss_weights={{_base_.mic_domain_loss_weights}})
