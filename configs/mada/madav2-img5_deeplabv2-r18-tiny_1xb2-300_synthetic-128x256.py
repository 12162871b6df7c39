# MADAv2 stage-1 selection on the embedded benchmark: 5 % of the 300 target
# training images (15) chosen by Dual_Domain_Distance before the first step,
# with the source-only model standing in for the AdaptSegNet warm-up, then
# CE on the source and on the 15 labelled target images (stage 1, Eq. 6).
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_active.py',
    '../_base_/methods/mada_selection.py'
]
active_rounds = [0]  # one round, before the first training step
active_learning = dict(budget=dict(value=15))
train_dataloader = dict(sampler={{_base_.stage1_sampler}})  # targets: the labelled images
