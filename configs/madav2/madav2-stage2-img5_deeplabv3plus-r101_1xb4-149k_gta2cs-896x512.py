# MADAv2 stage 2 (Table 1/2's MADAv2, Table 3's M(4)), from stage 1:
#   python tools/train.py configs/madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py
#   python tools/train.py configs/madav2/madav2-stage2-img5_deeplabv3plus-r101_1xb4-149k_gta2cs-896x512.py
# Frozen stage-1 teacher, ACP + ACM (Eqs. 9-12), CE on source + labelled target
# (Eq. 6), OHEM (Eq. 13), soft-anchor loss with EMA target anchors (Eqs. 8, 14)
# from k-means on the stage-1 model's target vectors (TargetAnchorInitHook).
_base_ = [
    '../_base_/models/deeplabv3plus_r101_mada.py',
    '../_base_/datasets/gta2cs_mada_active.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_mada.py',
    '../_base_/methods/madav2_stage2.py',
]
stage1_work_dir = 'work_dirs/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512'
load_from = stage1_work_dir + '/iter_111600.pth'
load_from_made_by = 'python tools/train.py configs/madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py'
# The labels stage 1 acquired (read, never written: stage 2 runs no round); a
# missing store stops the run before anything is built, naming stage 1's command.
train_dataloader = dict(
    batch_size={{_base_.stage2_batch_size}},  # 2 labelled + 2 pool targets per step
    sampler={{_base_.stage2_sampler}},
    dataset=dict(target=dict(label_store_dir=stage1_work_dir + '/active_labels',
                             required_rounds=1, made_by=load_from_made_by)))
train_cfg = {{_base_.stage2_train_cfg}}
param_scheduler = {{_base_.stage2_scheduler}}
model = dict(
    batch_steps=[{{_base_.stage2_teacher}}, {{_base_.stage2_acp}}, {{_base_.stage2_acm}}],
    extra_losses=[{{_base_.stage2_ohem_labelled}}, {{_base_.stage2_ohem_unlabelled}},
                  {{_base_.stage2_anchor_loss}}],
    domain_loss_weights={{_base_.stage2_domain_loss_weights}})
custom_hooks = [{{_base_.anchor_init_hook}}]
