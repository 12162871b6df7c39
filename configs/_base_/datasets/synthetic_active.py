# Synthetic benchmark with an *active* target: target training labels are the
# ones acquired so far (255 elsewhere), read from the label store on disk.
_base_ = ['./synthetic_src2tgt.py']
active_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadActiveLabels'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
active_target_train = dict(
    _delete_=True,  # replaces the fully labelled target of the base
    type='ActiveTargetDataset',
    label_store_dir=None,  # <work_dir>/active_labels, set by the train loop
    dataset=dict(
        type='SyntheticCityscapesDataset',
        bench_root='data/synthetic',
        domain='target',
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=active_target_pipeline),
    acquisition_pipeline=[dict(type='LoadImageFromFile'), dict(type='PackSegInputs')])
train_dataloader = dict(dataset=dict(target=active_target_train))
