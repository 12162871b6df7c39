# Paper schedule with acquisition rounds, RIPU / CBDA "original": 5 rounds at
# 10k, 12k, 14k, 16k, 18k (CBDA appendix F "spread": [10k, 18k, 24k, 28k, 30k]).
# RIPU's training setup, which CBDA keeps (CBDA Sec. 1.1): weight decay 1e-4
# (RIPU Sec. 4.1; schedule_40k.py has AdvEnt's 5e-4, and so does the RIPU
# authors' code: schedule_40k_active_wd5e-4.py is that option), and the
# authors' poly schedule decays over 62.5k iterations and stops at 40k.
_base_ = ['./schedule_40k.py']
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=62500, by_epoch=False)
]
train_cfg = dict(type='ActiveIterBasedTrainLoop')
active_rounds = [10000, 12000, 14000, 16000, 18000]  # ActiveLearningHook's default rounds
# CBDA appendix F "spread" rounds, for ``active_rounds = {{_base_.spread_rounds}}``.
spread_rounds = [10000, 18000, 24000, 28000, 30000]
custom_hooks = [dict(type='ActiveLearningHook')]
