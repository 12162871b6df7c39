# SYNTHIA -> Cityscapes label space, shared by every synthia2cs config (RIPU
# Table 2, CBDA appendix C): the 16 classes SYNTHIA shares with Cityscapes
# (no terrain, truck, train). The datasets get ``metainfo=synthia_metainfo``:
# mmseg then maps the 19 Cityscapes train ids of the converted labels to
# these 16 (terrain, truck, train -> 255, ignored) for the SYNTHIA source,
# the Cityscapes target (training labels, acquired labels: the oracle applies
# the same map) and the evaluation; the model has ``synthia_num_classes``
# outputs, CBDA's class budgets C = 16. mIoU16 is the mIoU over all of them,
# mIoU13 leaves out wall, fence and pole (mIoU*).
synthia_classes = [
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'sky', 'person', 'rider', 'car', 'bus',
    'motorcycle', 'bicycle'
]
synthia_13_classes = [
    'road', 'sidewalk', 'building', 'traffic light', 'traffic sign',
    'vegetation', 'sky', 'person', 'rider', 'car', 'bus', 'motorcycle',
    'bicycle'
]
synthia_num_classes = 16
synthia_metainfo = dict(classes=synthia_classes)
synthia_evaluator = dict(
    _delete_=True,
    type='SubsetIoUMetric',
    iou_metrics=['mIoU'],
    class_subsets=dict(mIoU16=synthia_classes, mIoU13=synthia_13_classes))
