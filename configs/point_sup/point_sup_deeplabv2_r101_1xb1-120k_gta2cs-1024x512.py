# Label acquisition of active point supervision, GTA5 -> Cityscapes (Sec. 3.2,
# Eqs. 5-6; Tables 1-2 "Active selection"): G1's entropy map cut by the 16 x 8
# grid, the K = 10 patches of highest summed entropy per image get 5 random
# points each by the oracle, the points of the other 118 patches G1's prediction
# as pseudo labels. A config for tools/select.py with a G1 checkpoint (the
# 'select' stage of configs/pipelines/point_sup_gta2cs.py): the
# model is G1's, the round runs at iteration 0 on the checkpoint's weights.
_base_ = [
    './point_sup-g1-advent_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py',
    '../_base_/methods/point_sup.py',
]
train_dataloader = dict(dataset=dict(target=dict(
    _delete_=True,
    type='ActiveTargetDataset',
    dataset=dict(_base_.target_train, pipeline=_base_.point_sup_target_pipeline),
    acquisition_pipeline=_base_.point_sup_acquisition_pipeline,
    with_pseudo=True)))
train_cfg = dict(type='ActiveIterBasedTrainLoop')  # the store under <work_dir>/active_labels
custom_hooks = [dict(type='ActiveLearningHook')]
active_rounds = [0]  # the paper's single acquisition
# Trained alone, the config is a one-run approximation (the round on its starting
# weights, then target CE on the points and pseudo labels); the paper's G2 is
# point_sup-g2_*.py.
model = dict(domain_loss_weights=dict(target=1.0))
