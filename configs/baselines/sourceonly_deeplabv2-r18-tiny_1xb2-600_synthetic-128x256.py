# Source only: train on labelled source images, evaluate on target val.
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_src2tgt.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic.py'
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset={{_base_.source_train}})
