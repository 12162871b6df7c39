# GTA5 -> Cityscapes, MADA lineage (CAG-UDA / MADA / MADAv2): random rescale
# of the long side to 2200 x U(0.5, 1.5) px (aspect kept, as CAG-UDA's
# ``RandomSized(2200)``), random 896x512 crop, horizontal flip; batches of
# 2 source + 2 target images (MADA's code used 4 + 4). Validation on
# Cityscapes val at full resolution (2048x1024).
# Prepare the data as in docs/datasets.md (GTA5 and Cityscapes converters).
_base_ = ['./two_domain_loaders.py']
source_type = 'GTA5Dataset'
source_root = 'data/gta5/'
target_type = 'CheckedCityscapesDataset'  # mmseg's, plus a missing-data check
target_root = 'data/cityscapes/'
crop_size = (512, 896)  # (h, w)
pad_size = (896, 512)  # (w, h)
# keep_ratio rescales so that the long side is 2200 * ratio.
rescale = dict(
    type='RandomResize', scale=(2200, 2200), ratio_range=(0.5, 1.5),
    keep_ratio=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    rescale,
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    # Only images smaller than the crop are padded (255 = ignored label).
    dict(type='Pad', size=pad_size, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
source_pipeline = train_pipeline
target_pipeline = train_pipeline
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
# Default size-mismatch policy of GTA5Dataset: pairs listed in
# data/gta5/size_mismatch.json are skipped (see mmada/datasets/gta5.py).
source_train = dict(
    type=source_type,
    data_root=source_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=source_pipeline)
# Fully labelled target training set (upper bound; active methods replace it).
target_train = dict(
    type=target_type,
    data_root=target_root,
    data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_pipeline)
target_val = dict(
    type=target_type,
    data_root=target_root,
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
# Loaders of two_domain_loaders.py.
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
source_only_train_dataloader = dict(dataset=source_train)
# Active target (used by the *_active.py variants): the target training set above,
# with its LoadAnnotations replaced by LoadActiveLabels (labels acquired so far, 255
# elsewhere) by ActiveTargetDataset; images are scored at full resolution, as they are
# evaluated.
acquisition_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
active_target_train = dict(
    _delete_=True, type='ActiveTargetDataset', dataset=target_train,
    acquisition_pipeline=acquisition_pipeline)
