# AdaptSegNet's schedule (authors' code): poly decay over 250k iterations,
# stopped at 150k (NUM_STEPS_STOP).
_base_ = ['./schedule_advent_120k.py']
max_iters = 150000
train_cfg = dict(max_iters=max_iters)
