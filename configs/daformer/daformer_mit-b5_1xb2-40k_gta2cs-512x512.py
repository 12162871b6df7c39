# DAFormer (Hoyer et al., CVPR 2022), GTA5 -> Cityscapes, Table 3: 68.3 mIoU.
# MiT-B5 + DAFormer decoder, EMA teacher (alpha 0.999), DACS ClassMix with the
# quality-weighted pseudo-label loss, rare-class sampling, thing-class
# feature distance; AdamW 6e-5 (head x10), warm-up 1.5k, poly, 40k, 2 + 2.
# Needs the ImageNet weights at pretrain/mit_b5.pth (see ../_base_/models/daformer_mitb5.py).
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/gta2cs_daformer.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_daformer_40k.py', '../_base_/methods/daformer.py'
]
model = dict(
    batch_steps=[{{_base_.teacher}}, {{_base_.mix}}],
    extra_losses=[{{_base_.pseudo_loss}}, {{_base_.fd}}],
    domain_loss_weights={{_base_.domain_loss_weights}})
train_dataloader = dict(sampler={{_base_.rcs_sampler}})
custom_hooks = [{{_base_.ema_teacher_hook}}, {{_base_.step_seed_hook}}]
randomness = dict(seed=0)
