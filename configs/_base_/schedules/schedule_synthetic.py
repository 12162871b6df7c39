# CPU schedule of the embedded synthetic benchmark: a small model trained from
# scratch, so AdamW with a larger learning rate; same poly decay as the papers.
_base_ = ['./schedule_40k.py']
max_iters = 600
optimizer = dict(_delete_=True, type='AdamW', lr=2e-3, weight_decay=1e-4)
optim_wrapper = dict(optimizer=optimizer)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=200, max_keep_ckpts=2),
)
