# MADA (ICCV 2021) stage 1: the warm-up model selects 5 % of Cityscapes train
# (148 images) by the distance to the nearest source anchor, then CE on the source and
# the selected images (Table 1/2's MADA selection; Table 4's MADA row is this stage).
#   python tools/train.py configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_synthia2cs-896x512.py
#   python tools/train.py configs/mada/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_synthia2cs-896x512.py
_base_ = [
    '../_base_/models/deeplabv3plus_r101_mada.py',
    '../_base_/datasets/synthia2cs_mada_active.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_mada.py',
    '../_base_/methods/mada_selection.py',
]
warmup_work_dir = 'work_dirs/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_synthia2cs-896x512'
load_from = warmup_work_dir + '/iter_29750.pth'  # its segmentor part (no discriminator)
load_from_made_by = ('python tools/train.py '
                     'configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_synthia2cs-896x512.py')
train_cfg = {{_base_.stage1_train_cfg}}
param_scheduler = {{_base_.stage1_scheduler}}
active_rounds = [0]  # one round, before the first step, with the warm-up model
custom_hooks = [dict(type='ActiveLearningHook')]
train_dataloader = dict(sampler={{_base_.stage1_sampler}})  # targets: the labelled images
# MADA's code labels int(0.05 N) images (select_active_samples.py): 148 of 2,975;
# MADAv2's code rounds (149).
active_learning = dict(budget=dict(value=148), scorer=dict(mode='mada'))
model = dict(decode_head=dict(num_classes={{_base_.synthia_num_classes}}))  # SYNTHIA's 16 classes
