# RIPU (RA) with DeepLab-v3+ R101 at MADA's budget, Table 2 "Ours (RA)#":
# 3x3 regions (k=1), 5% of the target pixels in 5 rounds at 10k..18k,
# SYNTHIA -> Cityscapes with RIPU's data setup (1280x720 / 1280x640 resize),
# losses of Eq. 13.
_base_ = ['../_base_/models/deeplabv3plus_r101_ripu.py',
          '../_base_/datasets/synthia2cs_ripu_active.py', '../_base_/default_runtime.py',
          '../_base_/schedules/schedule_40k_active.py', '../_base_/methods/ripu_ra.py']
# SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py).
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}),
             extra_losses={{_base_.ripu_losses}})
active_learning = dict(budget=dict(value=0.05))  # 5% instead of the base's 2.2%
