# Stage 1 (G1) of active point supervision, SYNTHIA -> Cityscapes (Sec. 3.1, Eqs. 1-4;
# settings of Sec. 4.1): AdvEnt, DeepLab-v2 R101 from ImageNet with the layer3 (conv4)
# and layer4 (conv5) classifiers, discriminators on both entropy maps (Adam 1e-4),
# source 1,280x760, target 1024x512, SGD 2.5e-4 / momentum 0.9, 120k iterations.
# Deltas to configs/uda's AdvEnt: the paper's weight decay 1e-4 (AdvEnt: 5e-4).
# G1 predicts the target for the label acquisition (point_sup_*_synthia2cs-1024x512.py).
_base_ = [
    '../uda/advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
    '../_base_/point_sup/cityscapes_1024x512.py',
]
optim_wrapper = dict(segmentor=dict(optimizer=dict(weight_decay=1e-4)))
