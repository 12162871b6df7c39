# SYNTHIA-RAND-CITYSCAPES -> Cityscapes at AdvEnt's sizes (authors' code):
# source frames at their 1280x760, target resized to 1024x512, no flipping,
# batches of 1 + 1; unsupervised target; evaluation at 1024x512 (mIoU16 and
# mIoU13 of the base's SubsetIoUMetric).
_base_ = ['../datasets/synthia2cs_ripu.py']
source_scale = (1280, 760)
target_scale = (1024, 512)
test_scale = (1024, 512)
test_flip_by_default = False  # single-scale, unflipped evaluation (authors)
uda_source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
uda_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
uda_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# Uniform source sampling, as the AdvEnt / AdaptSegNet code (the RIPU-lineage
# base samples rare classes more often).
train_dataloader = dict(
    batch_size=1,
    sampler=dict(_delete_=True, type='InfiniteTwoDomainSampler', shuffle=True),
    dataset=dict(source=dict(pipeline=uda_source_pipeline),
                 target=dict(pipeline=uda_target_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=uda_test_pipeline))
test_dataloader = val_dataloader
# The layer3 classifier of _base_/models/deeplabv2_r101.py (layer3_aux_head)
# with SYNTHIA's 16 outputs, for the multi-level methods.
synthia_layer3_aux_head = dict(
    type='ASPPV2Head',
    in_channels=1024,
    in_index=0,
    num_classes={{_base_.synthia_num_classes}},
    dilations=(6, 12, 18, 24),
    align_corners=False,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.1, avg_non_ignore=True))
