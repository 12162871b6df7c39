# ADA-MCU "AL (w AS)" with DeepLab-v3+ R101 in MADA's setting (Table IV;
# the paper "follows their experiment setting"): GTA5 -> Cityscapes with
# MADA-lineage data (long side 2200 x U(0.5, 1.5), 896x512 crops, flip), 5 %
# of the target pixels. The auxiliary (KL) head is the layer3 classifier on
# the ResNet's third stage (index 2 of its 4 outputs).
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/datasets/gta2cs_mada_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_online.py',
    '../_base_/methods/ada_mcu.py'
]
model = dict(
    auxiliary_head={{_base_.layer3_aux_head}},
    online_acquisition={{_base_.ada_mcu_acquisition_5pct}},
    extra_losses={{_base_.ada_mcu_losses}})
train_dataloader = dict(dataset=dict(target=dict(type='OnlineActiveTargetDataset')))
load_from = 'work_dirs/sourceonly_deeplabv3plus_r101_1xb2-40k_gta2cs-896x512/iter_40000.pth'
