# Adaptation phase on the synthetic benchmark (schedule_synthetic_adapt.py:
# 300 iterations from the source-only model) with online acquisition: labels
# acquired inside the training step, committed by OnlineAcquisitionHook.
_base_ = ['./schedule_synthetic_adapt.py']
train_cfg = dict(type='ActiveIterBasedTrainLoop')
online_commit_interval = 10
custom_hooks = [dict(type='OnlineAcquisitionHook', commit_interval=online_commit_interval)]
