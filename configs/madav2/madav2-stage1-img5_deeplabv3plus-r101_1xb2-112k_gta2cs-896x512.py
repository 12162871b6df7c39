# MADAv2 stage 1 (Table 3's M(1), Table 5's 5 % column): the warm-up model selects 5 %
# of Cityscapes train (149 images) by Dual_Domain_Distance (Eq. 5), then CE on the source
# and the selected images (Eq. 6).
#   python tools/train.py configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512.py
#   python tools/train.py configs/madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py
_base_ = [
    '../_base_/models/deeplabv3plus_r101_mada.py',
    '../_base_/datasets/gta2cs_mada_active.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_mada.py',
    '../_base_/methods/mada_selection.py',
]
warmup_work_dir = 'work_dirs/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512'
load_from = warmup_work_dir + '/iter_29750.pth'  # its segmentor part (no discriminator)
load_from_made_by = ('python tools/train.py '
                     'configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512.py')
train_cfg = {{_base_.stage1_train_cfg}}
param_scheduler = {{_base_.stage1_scheduler}}
active_rounds = [0]  # one round, before the first step, with the warm-up model
custom_hooks = [dict(type='ActiveLearningHook')]
train_dataloader = dict(sampler={{_base_.stage1_sampler}})  # targets: the labelled images
