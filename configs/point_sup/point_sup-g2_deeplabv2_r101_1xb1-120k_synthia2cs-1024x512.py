# Stage 2 (G2) of active point supervision, SYNTHIA -> Cityscapes (Sec. 3.3, Eqs. 7-9):
# the G1 architecture and settings, trained afresh (ImageNet weights, new
# discriminators) on source CE + target CE on the points and pseudo labels of the
# selection stage's label store + AdvEnt on both levels. One config for every
# selection variant (active, random, full, K ablation): only the store differs.
# The number of iterations is not in the paper: G1's 120k (ours).
_base_ = [
    './point_sup-g1-advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
    '../_base_/point_sup/stage2.py',
]
# tools/pipeline.py gives the store of its selection stage; run alone:
#   --cfg-options train_dataloader.dataset.target.label_store_dir=DIR/active_labels
label_store_dir = 'work_dirs/point_sup_synthia2cs/select/active_labels'
train_dataloader = dict(dataset=dict(target=dict(
    _delete_=True,
    dataset=dict(_base_.target_train, pipeline=_base_.point_sup_target_pipeline),
    label_store_dir=label_store_dir,
    acquisition_pipeline=_base_.point_sup_acquisition_pipeline,
    **_base_.point_sup_stage2_target)))
model = dict(domain_loss_weights=dict(target=1.0))  # Eq. 7: CE on the target's labels
