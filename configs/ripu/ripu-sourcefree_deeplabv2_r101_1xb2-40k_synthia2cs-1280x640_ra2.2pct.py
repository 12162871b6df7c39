# Source-free RIPU (RA 2.2%) on SYNTHIA -> Cityscapes (16 classes), appendix
# 6.4 / Table 11: start from a source-only model and adapt on the target alone with cross-entropy on the
# acquired labels + negative learning (alpha2 = 1.0, tau = 0.05); no source
# images, no source consistency loss. As the paper says, schedule, batch
# size, input size and k = 1 as the RIPU RA 2.2% config (40k iterations). The
# paper gives no rounds: these are the authors' (BIT-DA/RIPU configs/synthia/
# deeplabv2_r101_RA_source_free.yaml), 5 rounds at [0, 2k, 4k, 6k, 8k], the
# first before any training step. The authors' other settings (k = 9, stop
# at 30k) are ripu-sourcefree-authors_*.py.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_ra2.2pct.py']
# Train configs/baselines/sourceonly_deeplabv2_r101_1xb2-20k_synthia2cs-1280x640.py
# first (the authors' source model: 20k iterations); its last checkpoint is
# the starting point (override with --cfg-options load_from=PATH).
load_from = 'work_dirs/sourceonly_deeplabv2_r101_1xb2-20k_synthia2cs-1280x640/iter_20000.pth'
active_rounds = [0, 2000, 4000, 6000, 8000]
model = dict(default_domain='target', extra_losses=[_base_.nl_loss])  # target batches
train_dataloader = _base_.target_only_train_dataloader  # the active target dataset alone
