# MADA stage 2 (ICCV 2021) on the embedded benchmark, from the stage-1 run of
# ./mada-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py:
# CE on source + labelled target + the frozen stage-1 model's pseudo labels of
# the other target pixels, and the soft-anchor loss (weight 0.7, from the first
# step, as the MADA code) with EMA target anchors. No OHEM, ACM or ACP.
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_adapt.py',
    '../_base_/methods/madav2_stage2_synthetic.py'
]
stage1_work_dir = 'work_dirs/mada-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256'
load_from = stage1_work_dir + '/iter_300.pth'
load_from_made_by = ('python tools/train.py '
                     'configs/mada/mada-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py')
train_dataloader = dict(
    sampler={{_base_.stage2_sampler}},
    dataset=dict(target=dict(label_store_dir=stage1_work_dir + '/active_labels',
                             required_rounds=1, made_by=load_from_made_by)))
mada_anchor_loss = dict(
    type='SoftAnchorAlignmentLoss', num_classes=19, feat_channels=128, num_anchors=10,
    momentum=0.999, start_iter=0, min_pixels=10, domain='target', loss_weight=0.7,
    normalisation_pooling=True)  # the authors' gradient scaling of the class means
model = dict(
    batch_steps=[{{_base_.stage2_teacher}}],
    extra_losses=[mada_anchor_loss],
    domain_loss_weights=dict(source=1.0, target=1.0, pseudo=1.0))  # CE on pseudo labels
custom_hooks = [{{_base_.anchor_init_hook}}]
