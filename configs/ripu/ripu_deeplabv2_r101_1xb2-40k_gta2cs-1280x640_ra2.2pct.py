# RIPU, region-based annotating (RA), Table 1 "Ours (RA)": 3x3 regions
# (k=1) scored by region impurity x region uncertainty (Eq. 7), 2.2% of the
# target pixels in 5 rounds at 10k..18k; DeepLab-v2 R101, GTA5 -> Cityscapes,
# losses of Eq. 13 (alpha1 = 0.1, alpha2 = 1.0, tau = 0.05).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/datasets/gta2cs_ripu_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k_active.py',
          '../_base_/methods/ripu_ra.py']
model = dict(extra_losses={{_base_.ripu_losses}})
