# Synscapes -> Cityscapes (19 classes), MADA lineage: the pipelines of
# gta2cs_mada.py.
_base_ = ['./gta2cs_mada.py']
source_type = 'SynscapesDataset'
source_root = 'data/synscapes/'
source_train = dict(
    _delete_=True,
    type=source_type,
    data_root=source_root,
    data_prefix=dict(img_path='img/rgb', seg_map_path='img/class'),
    pipeline={{_base_.source_pipeline}})
train_dataloader = dict(dataset=dict(source=source_train))
source_only_train_dataloader = dict(dataset=source_train)
