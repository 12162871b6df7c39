# Source only: DeepLab-v3+ ResNet-101 trained on labelled GTA5 images alone,
# evaluated on Cityscapes val. MADA-lineage data: long side 2200 x U(0.5,
# 1.5), 896x512 crops, flip; evaluation at full resolution.
_base_ = ['../_base_/models/deeplabv3plus_r101.py', '../_base_/datasets/gta2cs_mada.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py']
train_dataloader = {{_base_.source_only_train_dataloader}}
