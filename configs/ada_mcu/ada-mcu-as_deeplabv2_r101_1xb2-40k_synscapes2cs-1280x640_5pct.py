# ADA-MCU "AL (w AS)", Synscapes -> Cityscapes (Table III), 5 % of the target
# pixels; Synscapes' 1440x720 frames resized to 1280x640 (RIPU-lineage data).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synscapes2cs_ripu_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_40k_online.py',
    '../_base_/methods/ada_mcu.py'
]
model = dict(
    auxiliary_head={{_base_.layer3_aux_head}},
    online_acquisition={{_base_.ada_mcu_acquisition_5pct}},
    extra_losses={{_base_.ada_mcu_losses}})
train_dataloader = dict(dataset=dict(target=dict(type='OnlineActiveTargetDataset')))
# Start from a Synscapes source-only model (Alg. 1 line 2; the repository has
# no such config yet): --cfg-options load_from=PATH.
load_from = None
