# RIPU, pixel-based annotating (PA), Table 2 "Ours (PA)": pixel entropy x
# impurity of its 65x65 window (k=32), 40 pixels per image (at 640x1280) in
# 5 rounds, each pick suppressing its window; DeepLab-v2 R101, SYNTHIA ->
# Cityscapes, losses of Eq. 13.
_base_ = ['../_base_/models/deeplabv2_r101.py',
          '../_base_/datasets/synthia2cs_ripu_active_sparse.py', '../_base_/default_runtime.py',
          '../_base_/schedules/schedule_40k_active.py', '../_base_/methods/ripu_pa.py']
# SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py).
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}),
             extra_losses={{_base_.ripu_losses}})
