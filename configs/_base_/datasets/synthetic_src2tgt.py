# Embedded synthetic benchmark: "synthetic" source -> "real" target street
# scenes in the Cityscapes label space, generated on first use under
# data/synthetic (see mmada/datasets/synthetic/).
_base_ = ['./two_domain_loaders.py']
bench_root = 'data/synthetic'
dataset_type = 'SyntheticCityscapesDataset'
crop_size = (128, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_train = dict(
    type=dataset_type,
    bench_root=bench_root,
    domain='source',
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=train_pipeline)
# Fully labelled target training set (upper bound; active methods replace it).
target_train = dict(
    type=dataset_type,
    bench_root=bench_root,
    domain='target',
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=train_pipeline)
target_val = dict(
    type=dataset_type,
    bench_root=bench_root,
    domain='target',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
# Loaders of two_domain_loaders.py (2 workers: the 2-core machine).
train_dataloader = dict(dataset=dict(source=source_train, target=target_train), num_workers=2)
val_dataloader = dict(dataset=target_val, num_workers=2)
test_dataloader = val_dataloader
source_only_train_dataloader = dict(dataset=source_train, num_workers=2)
# Active target (used by the *_active.py variants): the target training set above,
# with its LoadAnnotations replaced by LoadActiveLabels (labels acquired so far, 255
# elsewhere) by ActiveTargetDataset; images are scored at full resolution, as they are
# evaluated.
acquisition_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
active_target_train = dict(
    _delete_=True, type='ActiveTargetDataset', dataset=target_train,
    acquisition_pipeline=acquisition_pipeline)
# The active target dataset alone (source-free configs).
target_only_train_dataloader = dict(
    dataset=dict(type='ActiveTargetDataset', dataset=target_train,
                 acquisition_pipeline=acquisition_pipeline), num_workers=2)
