# DAFormer's self-training on the synthetic benchmark, unsupervised (no target
# label): a tiny MiT + DAFormer decoder trained from scratch on 2 CPU cores
# for 900 iterations (the source-only 600 + adaptation 300 of the other
# rows), EMA teacher, DACS with the quality-weighted pseudo labels, rare-class
# sampling (min_pixels scaled to the 128x256 images). No ImageNet weights can
# be downloaded here, so the feature distance is left out.
_base_ = [
    '../_base_/models/daformer_mit_tiny.py',
    '../_base_/uda/synthetic_uda.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic.py', '../_base_/methods/daformer.py'
]
max_iters = 900
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=50, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=300))
# The images are 128 x 256, not cropped: no pseudo-label crop, no re-crop;
# 50 pixels of 32,768 ~ the authors' 3,000 of a 1914 x 1052 GTA5 image.
model = dict(
    batch_steps=[
        dict(type='PseudoLabelTeacher', mode='ema', out_domain='target',
             quality_threshold=0.968),
        {{_base_.mix}}],
    extra_losses=[{{_base_.pseudo_loss}}],
    domain_loss_weights={{_base_.domain_loss_weights}})
train_dataloader = dict(sampler=dict(type='RareClassTwoDomainSampler', strategy='daformer',
                                     temperature=0.01, min_pixels=50, min_crop_ratio=0.0))
custom_hooks = [{{_base_.ema_teacher_hook}}, {{_base_.step_seed_hook}}]
