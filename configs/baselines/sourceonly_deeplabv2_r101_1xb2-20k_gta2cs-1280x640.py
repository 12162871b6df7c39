# Source only as the RIPU authors train the starting point of their
# source-free runs (BIT-DA/RIPU configs/gtav/deeplabv2_r101_src.yaml): lr 5e-4,
# poly decay over 31,250 iterations stopped at 20k; otherwise the 40k
# source-only config. Its last checkpoint is the load_from of the source-free
# RIPU configs (configs/ripu/ripu-sourcefree_*).
_base_ = ['./sourceonly_deeplabv2_r101_1xb2-40k_gta2cs-1280x640.py']
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=31250, by_epoch=False)
]
train_cfg = dict(max_iters=20000)
