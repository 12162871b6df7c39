# Adaptation phase on the synthetic benchmark: like the papers (RIPU Alg. 1,
# line 3), start from the source-only model and train 300 more iterations on
# source + target. Train the source-only config first:
#   python tools/train.py configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py
_base_ = ['./schedule_synthetic.py']
load_from = 'work_dirs/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256/iter_600.pth'
max_iters = 300
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=100))
