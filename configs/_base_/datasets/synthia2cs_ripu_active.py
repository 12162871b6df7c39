# SYNTHIA -> Cityscapes (RIPU lineage, synthia2cs_ripu.py) with an *active*
# target: target training labels are the ones acquired so far (255
# elsewhere), read from the label store on disk.
_base_ = ['./synthia2cs_ripu.py']
active_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadActiveLabels'),
    dict(type='Resize', scale={{_base_.target_scale}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
# Images are scored at the training resolution of the target.
acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={{_base_.target_scale}}, keep_ratio=False),
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
