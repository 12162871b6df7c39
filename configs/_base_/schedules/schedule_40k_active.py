# Paper schedule with acquisition rounds, RIPU / CBDA "original": 5 rounds at
# 10k, 12k, 14k, 16k, 18k (CBDA appendix F "spread": [10k, 18k, 24k, 28k, 30k]).
_base_ = ['./schedule_40k.py']
train_cfg = dict(type='ActiveIterBasedTrainLoop')
active_rounds = [10000, 12000, 14000, 16000, 18000]  # ActiveLearningHook's default rounds
custom_hooks = [dict(type='ActiveLearningHook')]
