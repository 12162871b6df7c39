# Synscapes -> Cityscapes (19 classes), RIPU lineage: the pipelines of
# gta2cs_ripu.py (no flip), with Synscapes' 1440x720 frames resized to 1280x640 (the
# 2:1 aspect of Synscapes and Cityscapes kept).
_base_ = ['./gta2cs_ripu.py']
source_type = 'SynscapesDataset'
source_root = 'data/synscapes/'
source_scale = (1280, 640)
source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
source_train = dict(
    _delete_=True,
    type=source_type,
    data_root=source_root,
    data_prefix=dict(img_path='img/rgb', seg_map_path='img/class'),
    pipeline=source_pipeline)
train_dataloader = dict(dataset=dict(source=source_train))
source_only_train_dataloader = dict(dataset=source_train)
