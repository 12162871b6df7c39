# SYNTHIA-RAND-CITYSCAPES -> Cityscapes, RIPU lineage: the pipelines of
# gta2cs_ripu.py (SYNTHIA's 1280x760 frames resized to 1280x720).
# SYNTHIA shares 16 of the 19 classes (no terrain, truck, train); the model
# still predicts 19 and the metric reports mIoU16 and mIoU13 (mIoU*: without
# wall, fence, pole) besides the 19-class mIoU.
_base_ = ['./gta2cs_ripu.py']
source_type = 'SynthiaDataset'
source_root = 'data/synthia/'
source_train = dict(
    _delete_=True,
    type=source_type,
    data_root=source_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    pipeline={{_base_.source_pipeline}})
train_dataloader = dict(dataset=dict(source=source_train))
source_only_train_dataloader = dict(dataset=source_train)
synthia_16_classes = [
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car', 'bus',
    'motorcycle', 'bicycle'
]
synthia_13_classes = [
    'road', 'sidewalk', 'building', 'traffic light', 'traffic sign',
    'vegetation', 'sky', 'person', 'rider', 'car', 'bus', 'motorcycle',
    'bicycle'
]
val_evaluator = dict(
    _delete_=True,
    type='SubsetIoUMetric',
    iou_metrics=['mIoU'],
    class_subsets=dict(mIoU16=synthia_16_classes, mIoU13=synthia_13_classes))
test_evaluator = val_evaluator
