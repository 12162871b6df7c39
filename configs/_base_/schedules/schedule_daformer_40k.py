# DAFormer's schedule (the authors' adamw.py + poly10warm.py): AdamW, lr 6e-5,
# betas (0.9, 0.999), weight decay 0.01, lr x10 on the head, no weight decay on
# norms and position blocks, linear warm-up over 1,500 iterations from 1e-6 x,
# then poly decay (power 1) to 0 at 40k; batches of 2 source + 2 target.
_base_ = ['./schedule_40k.py']
max_iters = 40000
warmup_iters = 1500
optimizer = dict(_delete_=True, type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01)
optim_wrapper = dict(
    optimizer=optimizer,
    paramwise_cfg=dict(_delete_=True, custom_keys={
        'head': dict(lr_mult=10.0),
        'pos_block': dict(decay_mult=0.0),
        'norm': dict(decay_mult=0.0),
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=warmup_iters,
         end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000, max_keep_ckpts=1))
