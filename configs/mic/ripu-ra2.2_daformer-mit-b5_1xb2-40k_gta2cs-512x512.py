# RIPU region-based annotation (RA, 2.2 % in 3x3 regions, 5 rounds at 10k..18k)
# on top of DAFormer self-training, GTA5 -> Cityscapes.
_base_ = ['../_base_/self_training/daformer_gta2cs_active.py', '../_base_/methods/ripu_ra.py']
