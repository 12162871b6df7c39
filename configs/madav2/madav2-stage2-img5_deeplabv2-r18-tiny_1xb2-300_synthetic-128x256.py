# MADAv2 stage 2 (Table 3's M(4)) on the embedded benchmark, from the stage-1
# run of ../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py
# (its checkpoint and its 15 labelled target images):
#   python tools/train.py configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py
#   python tools/train.py configs/madav2/madav2-stage2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py
# Frozen stage-1 teacher, ACP + ACM, OHEM (Eq. 13), CE on source + labelled
# target (Eq. 6), soft-anchor loss with EMA target anchors (Eqs. 8, 14).
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_adapt.py',
    '../_base_/methods/madav2_stage2_synthetic.py'
]
stage1_work_dir = 'work_dirs/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256'
load_from = stage1_work_dir + '/iter_300.pth'
load_from_made_by = ('python tools/train.py '
                     'configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py')
# The labels stage 1 acquired (read, never written: stage 2 runs no round); a
# missing store stops the run before anything is built, naming stage 1's command.
train_dataloader = dict(
    sampler={{_base_.stage2_sampler}},
    dataset=dict(target=dict(label_store_dir=stage1_work_dir + '/active_labels',
                             required_rounds=1, made_by=load_from_made_by)))
model = dict(
    batch_steps=[{{_base_.stage2_teacher}}, {{_base_.stage2_acp}}, {{_base_.stage2_acm}}],
    extra_losses=[{{_base_.stage2_ohem_labelled}}, {{_base_.stage2_ohem_unlabelled}},
                  {{_base_.stage2_anchor_loss}}],
    domain_loss_weights={{_base_.stage2_domain_loss_weights}})
custom_hooks = [{{_base_.anchor_init_hook}}]
