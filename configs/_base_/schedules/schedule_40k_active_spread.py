# CBDA appendix F "spread" acquisition rounds: 5 rounds at 10k, 18k, 24k,
# 28k, 30k of 40k iterations (more training between rounds; better than the
# RIPU "original" [10k, 12k, 14k, 16k, 18k] of schedule_40k_active.py).
_base_ = ['./schedule_40k_active.py']
active_rounds = {{_base_.spread_rounds}}  # ActiveLearningHook's default rounds
