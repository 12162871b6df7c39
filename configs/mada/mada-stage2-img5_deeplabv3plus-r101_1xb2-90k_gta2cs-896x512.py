# MADA stage 2 (ICCV 2021), from its stage 1:
#   python tools/train.py configs/mada/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py
#   python tools/train.py configs/mada/mada-stage2-img5_deeplabv3plus-r101_1xb2-90k_gta2cs-896x512.py
# CE on source + labelled target + the frozen stage-1 model's pseudo labels of
# the other target pixels, and the soft-anchor loss (weight 0.7 from the first
# step) with EMA target anchors; 90k iterations (the MADA code's train_iters).
# Otherwise MADAv2's stage 2 (no ACP / ACM / OHEM).
_base_ = ['../madav2/madav2-stage2-img5_deeplabv3plus-r101_1xb4-149k_gta2cs-896x512.py']
stage1_work_dir = 'work_dirs/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512'
load_from = stage1_work_dir + '/iter_111600.pth'
load_from_made_by = 'python tools/train.py configs/mada/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py'
# One labelled target in every batch of 2 (MADA's code draws a batch of its active
# images every step), the other from the pool (the teacher's pseudo labels).
train_dataloader = dict(
    batch_size=2,
    sampler=dict(labelled_per_batch=1, batch_size=2),
    dataset=dict(target=dict(label_store_dir=stage1_work_dir + '/active_labels',
                             made_by=load_from_made_by)))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=90000, val_interval=10000)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=90000, by_epoch=False)]
mada_anchor_loss = dict(
    type='SoftAnchorAlignmentLoss', num_classes=19, feat_channels=256, num_anchors=10,
    momentum=0.999, start_iter=0, min_pixels=10, domain='target', loss_weight=0.7,
    normalisation_pooling=True)  # the authors' gradient scaling of the class means
model = dict(
    batch_steps=[_base_.stage2_teacher],
    extra_losses=[mada_anchor_loss],
    domain_loss_weights=dict(source=1.0, target=1.0, pseudo=1.0))  # CE on pseudo labels
