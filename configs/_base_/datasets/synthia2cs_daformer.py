# SYNTHIA -> Cityscapes as DAFormer (the authors' uda_synthia_to_cityscapes_512x512):
# the pipelines of gta2cs_daformer.py with SYNTHIA resized to 1280x760, in the
# 16-class label space of synthia_16classes.py (mIoU16 and mIoU13).
_base_ = ['./synthia2cs_mada.py']
crop_size = (512, 512)
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=(1280, 760), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=crop_size, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=crop_size, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_train = dict(pipeline=source_pipeline)
target_train = dict(pipeline=target_pipeline)
target_val = dict(pipeline=test_pipeline)
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
