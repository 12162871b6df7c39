# Source only: DeepLab-v2 ResNet-101 trained on labelled SYNTHIA images alone,
# evaluated on Cityscapes val. RIPU-lineage data: source resized to 1280x720,
# target to 1280x640, flip; evaluation at 1280x640, upsampled to the full-
# resolution labels.
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/datasets/synthia2cs_ripu.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py']
train_dataloader = {{_base_.source_only_train_dataloader}}
# SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py).
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}))
