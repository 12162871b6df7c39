# GTA5 -> Cityscapes, RIPU lineage (AdvEnt / FADA / RIPU / CBDA): source
# resized to 1280x720, target to 1280x640, no flip (the RIPU authors' code
# trains without augmentation); batches of 2 source + 2 target images.
# Evaluation on Cityscapes val at 1280x640 with predictions upsampled to the
# full-resolution (2048x1024) labels. The authors' test averages the
# prediction with the one of the flipped image: ``tools/test.py`` does so for
# these configs (``test_flip_by_default`` and ``tta_pipeline`` below);
# validation during training is single-scale, unflipped (see
# docs/datasets.md).
# Prepare the data as in docs/datasets.md (GTA5 and Cityscapes converters).
_base_ = ['./two_domain_loaders.py']
source_type = 'GTA5Dataset'
source_root = 'data/gta5/'
target_type = 'CheckedCityscapesDataset'  # mmseg's, plus a missing-data check
target_root = 'data/cityscapes/'
source_scale = (1280, 720)  # (w, h)
target_scale = (1280, 640)
test_scale = (1280, 640)
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    # Labels are loaded after Resize: evaluation is at full resolution.
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# tools/test.py evaluates with tta_pipeline (flip averaging) unless --no-tta.
test_flip_by_default = True
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=test_scale, keep_ratio=True)],
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
# Loaders of two_domain_loaders.py. Source images are drawn by rare classes,
# as the RIPU authors do (mmada/datasets/samplers.py; it reads the
# sample_class_stats.json of the source converter), target images uniformly.
train_dataloader = dict(
    dataset=dict(source=source_train, target=target_train),
    sampler=dict(type='RareClassTwoDomainSampler'))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
source_only_train_dataloader = dict(
    dataset=source_train, sampler=dict(_delete_=True, type='RareClassSampler'))
# Active target (used by the *_active.py variants): the target training set above,
# with its LoadAnnotations replaced by LoadActiveLabels (labels acquired so far, 255
# elsewhere) by ActiveTargetDataset; images are scored at the training resolution of
# the target.
acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
active_target_train = dict(
    _delete_=True, type='ActiveTargetDataset', dataset=target_train,
    acquisition_pipeline=acquisition_pipeline)
# The active target dataset alone (source-free configs:
# ``train_dataloader = _base_.target_only_train_dataloader``).
target_only_train_dataloader = dict(
    dataset=dict(type='ActiveTargetDataset', dataset=target_train,
                 acquisition_pipeline=acquisition_pipeline))
# Target pipeline of the *_active_sparse.py variants (pixel budgets): the queried pixels
# are single pixels at 2048x1024, and a nearest-neighbour Resize to 1280x640 keeps only
# the ones it happens to sample (about 39%); SparseLabelResize keeps every one at its
# scaled position (tests/test_datasets/test_pa_sparse_labels.py).
sparse_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # LoadActiveLabels in ActiveTargetDataset
    dict(type='SparseLabelResize', scale=target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
