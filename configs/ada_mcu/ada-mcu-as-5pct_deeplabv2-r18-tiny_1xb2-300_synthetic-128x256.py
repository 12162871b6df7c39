# ADA-MCU "AL (w AS)" on the synthetic benchmark: online acquisition with
# adaptive sampling (Alg. 1), 5 % of the target pixels, 300 iterations from
# the source-only model; pseudo labels on the sampled G_l pixels (Eq. 5).
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_online.py',
    '../_base_/methods/ada_mcu_synthetic.py'
]
model = dict(
    auxiliary_head={{_base_.layer3_aux_head}},
    online_acquisition={{_base_.ada_mcu_acquisition}},
    extra_losses={{_base_.ada_mcu_losses}})
train_dataloader = dict(dataset=dict(target=dict(type='OnlineActiveTargetDataset')))
