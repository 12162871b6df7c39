# Source-free RIPU (RA 2.2%), appendix 6.4 / Table 10: start from a
# source-only model and adapt on the target alone with cross-entropy on the
# acquired labels + negative learning (alpha2 = 1.0, tau = 0.05); no source
# images, no source consistency loss. Schedule, batch size and input size
# as the RIPU RA 2.2% config.
_base_ = ['./ripu_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py']
# Train configs/baselines/sourceonly_deeplabv2_r101_1xb2-40k_gta2cs-1280x640.py
# first; its last checkpoint is the starting point (override with
# --cfg-options load_from=PATH).
load_from = 'work_dirs/sourceonly_deeplabv2_r101_1xb2-40k_gta2cs-1280x640/iter_40000.pth'
model = dict(
    default_domain='target',  # batches of the loader below are target images
    extra_losses=[
        dict(type='NegativeLearningLoss', domain='target', tau=0.05, loss_weight=1.0)
    ])
# The active target dataset alone, 2 images a batch.
train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.train_dataloader.dataset.target}})
