# Synthetic schedule with acquisition rounds: the papers' 5 rounds at 10k,
# 12k, 14k, 16k, 18k of 40k iterations, scaled to 600 iterations.
_base_ = ['./schedule_synthetic.py']
train_cfg = dict(type='ActiveIterBasedTrainLoop')
active_rounds = [150, 180, 210, 240, 270]  # ActiveLearningHook's default rounds
custom_hooks = [dict(type='ActiveLearningHook')]
