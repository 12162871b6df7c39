# IntraDA, intra-domain stage (Pan et al., CVPR 2020): AdvEnt between the easy
# target split with pseudo labels (as source) and the hard split (as target).
# Pipeline (configs/uda/README.md):
#   1. python tools/train.py configs/uda/advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py
#   2. python tools/intrada_split.py configs/uda/advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py \
#        work_dirs/advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512/iter_120000.pth \
#        --out-dir work_dirs/intrada_synthia2cs          # lambda = 0.67
#   3. python tools/train.py configs/uda/intrada_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py
# The segmenter restarts from ImageNet weights with new discriminators, like stage 1
# (set load_from to a stage-1 checkpoint to start from it instead).
_base_ = ['./advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py']
intrada_dir = 'work_dirs/intrada_synthia2cs'  # --out-dir of tools/intrada_split.py
cityscapes_train = 'data/cityscapes/leftImg8bit/train'
easy_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale={{_base_.target_scale}}, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# data_root='' keeps every path relative to the working directory.
easy_split = dict(
    _delete_=True,
    type='CheckedCityscapesDataset',
    data_root='',
    ann_file=intrada_dir + '/easy_split.txt',
    data_prefix=dict(img_path=cityscapes_train, seg_map_path=intrada_dir + '/pseudo_labels'),
    metainfo={{_base_.synthia_metainfo}},  # pseudo labels are Cityscapes train ids
    pipeline=easy_pipeline)
hard_split = dict(
    _delete_=True,
    type='CheckedCityscapesDataset',
    data_root='',
    ann_file=intrada_dir + '/hard_split.txt',
    data_prefix=dict(img_path=cityscapes_train, seg_map_path='data/cityscapes/gtFine/train'),
    metainfo={{_base_.synthia_metainfo}},
    pipeline={{_base_.uda_target_pipeline}})
train_dataloader = dict(dataset=dict(source=easy_split, target=hard_split))
