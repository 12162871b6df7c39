# CBDA (Schachtsiek et al.), Table 1 "CBDA (10%)": RIPU's 3x3 regions
# (k=1, impurity x uncertainty) re-weighted per pseudo-label class towards a
# uniform class budget (Eqs. 1-3) and picked dataset-wide (Dynamic
# Acquisition, Alg. 3); 10% of the target pixels in 5 rounds at 10k..18k
# (RIPU's "original" rounds). DeepLab-v3+ R101, GTA5 -> Cityscapes, RIPU's
# training setup (CBDA Sec. 1.1: data, losses and schedule of Xie et al.).
_base_ = ['../_base_/models/deeplabv3plus_r101_ripu.py', '../_base_/datasets/gta2cs_ripu_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k_active.py',
          '../_base_/methods/cbda.py']
model = dict(extra_losses={{_base_.ripu_losses}})
active_learning = dict(budget=dict(value=0.10))  # of all target pixels (the base has 2.2%)
