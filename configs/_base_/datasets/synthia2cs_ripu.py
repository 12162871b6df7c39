# SYNTHIA-RAND-CITYSCAPES -> Cityscapes, RIPU lineage: the pipelines of
# gta2cs_ripu.py (SYNTHIA's 1280x760 frames resized to 1280x720), in the
# 16-class label space of synthia_16classes.py (every dataset below gets
# its metainfo; the model configs set synthia_num_classes outputs), evaluated
# as mIoU16 and mIoU13.
_base_ = ['./gta2cs_ripu.py', './synthia_16classes.py']
source_type = 'SynthiaDataset'
source_root = 'data/synthia/'
source_train = dict(
    _delete_=True,
    type=source_type,
    data_root=source_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    metainfo={{_base_.synthia_metainfo}},
    pipeline={{_base_.source_pipeline}})
target_train = dict(metainfo={{_base_.synthia_metainfo}})
target_val = dict(metainfo={{_base_.synthia_metainfo}})
train_dataloader = dict(dataset=dict(source=source_train, target=target_train))
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
source_only_train_dataloader = dict(dataset=source_train)
active_target_train = dict(dataset=target_train)
target_only_train_dataloader = dict(dataset=dict(dataset=target_train))
val_evaluator = {{_base_.synthia_evaluator}}
test_evaluator = val_evaluator
