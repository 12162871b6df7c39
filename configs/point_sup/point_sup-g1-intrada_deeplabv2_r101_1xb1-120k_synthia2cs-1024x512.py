# Stage 1 (G1) with IntraDA, the paper's UDA framework ("we adopt the framework of
# [32]", Sec. 4.1), SYNTHIA -> Cityscapes: configs/uda's IntraDA intra-domain stage
# with the paper's weight decay 1e-4. It needs the AdvEnt G1
# (point_sup-g1-advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py) and tools/intrada_split.py's
# split in intrada_dir; tools/pipeline.py configs/pipelines/point_sup-intrada_synthia2cs.py
# runs the four stages (AdvEnt, split, IntraDA, selection) and G2.
_base_ = ['../uda/intrada_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py']
intrada_dir = 'work_dirs/point_sup-intrada_synthia2cs/split'  # --out-dir of tools/intrada_split.py
train_dataloader = dict(dataset=dict(
    source=dict(ann_file=intrada_dir + '/easy_split.txt',
                data_prefix=dict(seg_map_path=intrada_dir + '/pseudo_labels')),
    target=dict(ann_file=intrada_dir + '/hard_split.txt')))
optim_wrapper = dict(segmentor=dict(optimizer=dict(weight_decay=1e-4)))
