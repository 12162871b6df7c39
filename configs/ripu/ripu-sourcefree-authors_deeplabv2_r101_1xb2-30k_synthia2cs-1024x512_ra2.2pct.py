# Source-free RIPU on SYNTHIA -> Cityscapes as the authors' code runs it
# (BIT-DA/RIPU configs/synthia/deeplabv2_r101_RA_source_free.yaml): k = 9,
# stop at 30k, and Cityscapes at 1024x512 for training, acquisition and
# testing (their TARGET_INPUT_SIZE_TRAIN and INPUT_SIZE_TEST); otherwise the
# paper's source-free SYNTHIA config (1280x640).
_base_ = ['./ripu-sourcefree_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_ra2.2pct.py']
active_learning = dict(scorer=dict(k=9), unit=dict(k=9))
train_cfg = dict(max_iters=30000)
sf_scale = (1024, 512)  # (w, h)
sf_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=sf_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
sf_acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=sf_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
sf_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=sf_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(
    dataset=dict(pipeline=sf_train_pipeline), acquisition_pipeline=sf_acquisition_pipeline))
val_dataloader = dict(dataset=dict(pipeline=sf_test_pipeline))
test_dataloader = val_dataloader
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=sf_scale, keep_ratio=True)],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
