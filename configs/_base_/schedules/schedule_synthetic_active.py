# Adaptation phase with 5 acquisition rounds, spread like the papers' rounds
# (10k-18k of 40k: between a quarter and half of the schedule).
_base_ = ['./schedule_synthetic_adapt.py']
train_cfg = dict(type='ActiveIterBasedTrainLoop')
active_rounds = [1, 40, 80, 120, 160]  # ActiveLearningHook's default rounds
custom_hooks = [dict(type='ActiveLearningHook')]
