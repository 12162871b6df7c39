# Fully supervised upper bound: DeepLab-v2 ResNet-101 trained on SYNTHIA and
# every Cityscapes train label (2 + 2 images a batch). RIPU-lineage data:
# source resized to 1280x720, target to 1280x640, flip; evaluation at
# 1280x640, upsampled to the full-resolution labels.
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/datasets/synthia2cs_ripu.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py']
# SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py).
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}))
