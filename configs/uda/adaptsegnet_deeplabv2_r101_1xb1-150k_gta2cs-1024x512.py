# AdaptSegNet (multi-level): DeepLab-v2 R101, discriminators on the softmax of the
# layer4 and layer3 classifiers, lambda_adv 0.001 / 0.0002 (configs/uda/README.md).
# Otherwise the AdvEnt config: AdaptSegNet's schedule is AdvEnt's poly decay
# over 250k iterations, stopped at 150k (NUM_STEPS_STOP of the authors' code).
_base_ = ['./advent_deeplabv2_r101_1xb1-120k_gta2cs-1024x512.py']
model = dict(alignment=_base_.adaptsegnet_alignment)
train_cfg = dict(max_iters=150000)
