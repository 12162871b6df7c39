# ADA-MCU "AL (w AS)": online pixel acquisition with adaptive sampling
# (Sec. III-B, Alg. 1) and pseudo labels on the sampled G_l pixels (Eq. 5),
# DeepLab-v2 R101 with its layer3 classifier (KL term of Eq. 1), GTA5 ->
# Cityscapes (RIPU-lineage data: 1280x720 / 1280x640), 1.7 % of the target
# pixels (Table I). The contrastive units and DCCM come on top of this config.
# Starts from the source-only model (Alg. 1 line 2, load_from below); its
# layer3 classifier starts untrained when that checkpoint has none (README).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta2cs_ripu_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_online.py',
    '../_base_/methods/ada_mcu.py'
]
model = dict(
    auxiliary_head={{_base_.layer3_aux_head}},
    online_acquisition={{_base_.ada_mcu_acquisition}},
    extra_losses={{_base_.ada_mcu_losses}})
train_dataloader = dict(dataset=dict(target=dict(type='OnlineActiveTargetDataset')))
load_from = 'work_dirs/sourceonly_deeplabv2_r101_1xb2-40k_gta2cs-1280x640/iter_40000.pth'
