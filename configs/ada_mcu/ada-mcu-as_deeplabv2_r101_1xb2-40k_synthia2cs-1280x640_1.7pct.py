# ADA-MCU "AL (w AS)", SYNTHIA -> Cityscapes (Table II), 1.7 % of the target
# pixels: SYNTHIA's 16 classes (_base_/datasets/synthia_16classes.py), the
# 13-class mIoU reported by the paper is mIoU13 of the evaluator.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synthia2cs_ripu_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_online.py',
    '../_base_/methods/ada_mcu.py'
]
model = dict(
    decode_head=dict(num_classes={{_base_.synthia_num_classes}}),
    # The layer3 classifier of deeplabv2_r101.py with SYNTHIA's 16 outputs.
    auxiliary_head=dict(
        type='ASPPV2Head', in_channels=1024, in_index=0,
        num_classes={{_base_.synthia_num_classes}}, dilations=(6, 12, 18, 24),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1,
                         avg_non_ignore=True)),
    online_acquisition={{_base_.ada_mcu_acquisition}},
    extra_losses={{_base_.ada_mcu_losses}})
train_dataloader = dict(dataset=dict(target=dict(type='OnlineActiveTargetDataset')))
load_from = 'work_dirs/sourceonly_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640/iter_40000.pth'
