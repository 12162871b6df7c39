# Fully supervised upper bound: DeepLab-v3+ ResNet-101 trained on SYNTHIA and
# every Cityscapes train label (2 + 2 images a batch). MADA-lineage data: long
# side 2200 x U(0.5, 1.5), 896x512 crops, flip; evaluation at full resolution.
_base_ = ['../_base_/models/deeplabv3plus_r101.py', '../_base_/datasets/synthia2cs_mada.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py']
# SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py).
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}))
