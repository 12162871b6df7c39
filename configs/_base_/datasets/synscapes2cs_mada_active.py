# Synscapes -> Cityscapes (MADA lineage, synscapes2cs_mada.py) with an *active*
# target: target training labels are the ones acquired so far (255
# elsewhere), read from the label store on disk.
_base_ = ['./synscapes2cs_mada.py']
active_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadActiveLabels'),
    {{_base_.rescale}},
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size={{_base_.pad_size}}, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
# Images are scored at full resolution, as they are evaluated.
acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackSegInputs'),
]
active_target_train = dict(
    _delete_=True,  # replaces the fully labelled target of the base
    type='ActiveTargetDataset',
    label_store_dir=None,  # <work_dir>/active_labels, set by the train loop
    dataset=dict(
        type={{_base_.target_type}},
        data_root={{_base_.target_root}},
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=active_target_pipeline),
    acquisition_pipeline=acquisition_pipeline)
train_dataloader = dict(dataset=dict(target=active_target_train))
