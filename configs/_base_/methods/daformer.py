# DAFormer's self-training (Hoyer et al., CVPR 2022, Sec. 3; the authors'
# dacs_a999_fdthings + rcs + croppl) as parts a leaf config composes:
#
#   model = dict(batch_steps=[teacher, mix], extra_losses=[pseudo_loss, fd],
#                domain_loss_weights=domain_loss_weights)
#   custom_hooks = [ema_teacher_hook, step_seed_hook]; train_dataloader = dict(sampler=rcs_sampler)
#
# * teacher: an EMA copy of the student (alpha 0.999, EMATeacherHook) gives the
#   target batch its pseudo labels (argmax everywhere; acquired labels, if any,
#   win) and the quality weight: the share of pixels with confidence >= 0.968,
#   0 on the top 15 / bottom 120 rows (the authors' pseudo-label crop), 1 on
#   acquired labels; it replaces the target's labels in place (out_domain);
# * mix: DACS ClassMix of half the source image's classes onto each target
#   image, then colour jitter and blur (batch step DACSMix);
# * pseudo_loss: cross-entropy on the mixed images weighted per pixel;
# * fd (in ../models/daformer_mitb5.py, next to the encoder it copies):
#   thing-class feature distance of the source features to the frozen
#   ImageNet encoder (lambda 0.005, classes of >= 75 % of a feature cell);
# * rcs_sampler: rare-class sampling of the source (T = 0.01, images with more
#   than 3,000 pixels of the drawn class, re-cropped until half of that).
# The target's own cross-entropy weight is 0: its labels are the teacher's.
teacher = dict(type='PseudoLabelTeacher', mode='ema', domain='target', out_domain='target',
               quality_threshold=0.968, weight_ignore_top=15, weight_ignore_bottom=120)
mix = dict(type='DACSMix', domain='target', source_domain='source', jitter_strength=0.2,
           jitter_prob=0.8, blur=True, seed=0)
pseudo_loss = dict(type='PixelWeightedCELoss', domain='target', loss_name='loss_pseudo')
domain_loss_weights = dict(source=1.0, target=0.0)
ema_teacher_hook = dict(type='EMATeacherHook', momentum=0.999, ramp=True)
# Dropout (head) and stochastic depth (MiT) draw from the global generators:
# seeded per iteration so that --resume draws what the uninterrupted run did.
step_seed_hook = dict(type='StepSeedHook')
rcs_sampler = dict(type='RareClassTwoDomainSampler', strategy='daformer', temperature=0.01,
                   min_pixels=3000, min_crop_ratio=0.5)
