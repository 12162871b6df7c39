# CBDA (class-balanced dynamic acquisition, 5 % of the target pixels in 3x3
# regions, 5 rounds at 10k..18k) on top of DAFormer self-training, GTA5 -> Cityscapes.
_base_ = ['../_base_/self_training/daformer_gta2cs_active.py', '../_base_/methods/cbda.py']
active_learning = dict(budget=dict(value=0.05))
