# CBDA (Schachtsiek et al.; class-balanced dynamic acquisition of 3x3 regions,
# 5 % of the target pixels, 5 rounds at 10k..18k) on top of MIC self-training
# on DAFormer, GTA5 -> Cityscapes.
_base_ = ['../_base_/self_training/mic_gta2cs_active.py', '../_base_/methods/cbda.py']
active_learning = dict(budget=dict(value=0.05))
