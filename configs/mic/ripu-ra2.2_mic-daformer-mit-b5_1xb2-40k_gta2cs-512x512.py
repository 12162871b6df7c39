# RIPU region-based annotation (RA, 2.2 % of the target pixels in 3x3 regions,
# 5 rounds at 10k..18k; Xie et al., CVPR 2022) on top of MIC self-training on
# DAFormer, GTA5 -> Cityscapes. RIPU's scorer and budget; the self-training's
# losses (RIPU's own regularisers are not added).
_base_ = ['../_base_/self_training/mic_gta2cs_active.py', '../_base_/methods/ripu_ra.py']
