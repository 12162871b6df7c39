# Stage 2 (G2) of active point supervision on the synthetic benchmark (Sec. 3.3,
# Eqs. 7-9): G1's settings trained afresh -- from G1's initial weights (the
# source-only model, this benchmark's stand-in for ImageNet weights), new
# discriminators -- on source CE + target CE on the points and pseudo labels of
# the selection stage's label store + AdvEnt on both levels. One config for
# every selection variant: only the store differs.
_base_ = [
    './point_sup-g1-advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
    '../_base_/point_sup/stage2.py',
]
# tools/pipeline.py gives the store of its selection stage; run alone:
#   --cfg-options train_dataloader.dataset.target.label_store_dir=DIR/active_labels
label_store_dir = 'work_dirs/point_sup_synthetic/select/active_labels'
train_dataloader = dict(dataset=dict(target=dict(
    _base_.active_target_train, label_store_dir=label_store_dir,
    **_base_.point_sup_stage2_target)))
model = dict(domain_loss_weights=dict(target=1.0))  # Eq. 7: CE on the target's labels
