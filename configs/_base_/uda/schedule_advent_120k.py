# AdvEnt's schedule (authors' code): the papers' SGD (schedule_40k.py), poly
# decay over 250k iterations, training stopped at 120k.
_base_ = ['../schedules/schedule_40k.py']
max_iters = 120000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=250000, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
