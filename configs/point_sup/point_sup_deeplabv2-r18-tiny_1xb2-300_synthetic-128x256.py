# Label acquisition of active point supervision on the embedded synthetic
# benchmark: K = 10 top-entropy patches of a 16 x 8 grid (16 x 16 px at
# 128 x 256), 5 points each by the oracle, G1's prediction as pseudo labels at
# the points of the other 118 patches. A config for tools/select.py with a G1
# checkpoint (the 'select' stage of configs/pipelines/point_sup_synthetic.py):
# the model is G1's, the round runs at iteration 0 on the checkpoint's weights.
_base_ = [
    './point_sup-g1-advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
    '../_base_/methods/point_sup.py',
]
train_dataloader = dict(dataset=dict(target=dict(_base_.active_target_train, with_pseudo=True)))
train_cfg = dict(type='ActiveIterBasedTrainLoop')  # the store under <work_dir>/active_labels
custom_hooks = [dict(type='ActiveLearningHook')]
active_rounds = [0]  # the paper's single acquisition
# Trained alone, the config is a one-run approximation (the round on its starting
# weights, then target CE on the points and pseudo labels); the paper's G2 is
# point_sup-g2_*.py.
model = dict(domain_loss_weights=dict(target=1.0))
