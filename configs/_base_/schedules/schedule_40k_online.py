# Paper schedule (schedule_40k.py: SGD, lr 2.5e-4, momentum 0.9, poly 0.9,
# 40k iterations) with online acquisition: labels are acquired inside the
# training step (ADA-MCU) and committed to the label store under the work dir
# by OnlineAcquisitionHook. ADA-MCU Sec. IV-B: weight decay 1e-4.
_base_ = ['./schedule_40k.py']
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
train_cfg = dict(type='ActiveIterBasedTrainLoop')
# Our choice: commit the online labels every 50 iterations (and at every
# checkpoint): one small round file per commit, 800 over 40k iterations;
# labels acquired after the last checkpoint are re-acquired on resume anyway.
online_commit_interval = 50
custom_hooks = [dict(type='OnlineAcquisitionHook', commit_interval=online_commit_interval)]
