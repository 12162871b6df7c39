# RIPU RA 2.2 % on top of MIC self-training on the synthetic benchmark (tiny
# MiT from scratch, 900 iterations): the target becomes the active one
# (labels acquired so far, 255 elsewhere), 5 rounds at the share of the
# schedule where RIPU's fall (10k..18k of 40k: 225..405 of 900).
_base_ = ['./mic_daformer-mit-tiny_1xb2-900_synthetic-128x256.py', '../_base_/methods/ripu_ra.py']
train_dataloader = dict(dataset=dict(target={{_base_.active_target_train}}))
train_cfg = dict(type='ActiveIterBasedTrainLoop')
active_rounds = [225, 270, 315, 360, 405]
custom_hooks = [{{_base_.ema_teacher_hook}}, {{_base_.step_seed_hook}},
                dict(type='ActiveLearningHook')]
