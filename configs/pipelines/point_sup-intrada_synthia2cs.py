# Active point supervision with IntraDA as G1 (the paper's UDA framework, Sec. 4.1),
# SYNTHIA -> Cityscapes: AdvEnt (shared with point_sup_synthia2cs.py) -> IntraDA split
# (tools/intrada_split.py: entropy ranking, easy pseudo labels, lambda = 0.67) ->
# IntraDA intra-domain stage = G1 -> label acquisition from it -> G2.
# Run: python tools/pipeline.py configs/pipelines/point_sup-intrada_synthia2cs.py
work_dir = 'work_dirs/point_sup-intrada_synthia2cs'
stages = dict(
    advent=dict(
        type='train',
        config='configs/point_sup/point_sup-g1-advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
        work_dir='work_dirs/point_sup_synthia2cs/g1'),
    split=dict(
        type='tool',
        script='tools/intrada_split.py',
        args=['{advent.config}', '{advent.checkpoint}', '--out-dir', '{work_dir}'],
        outputs=dict(easy_split='{work_dir}/easy_split.txt',
                     hard_split='{work_dir}/hard_split.txt',
                     pseudo_labels='{work_dir}/pseudo_labels')),
    g1=dict(
        type='train',
        config='configs/point_sup/point_sup-g1-intrada_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
        cfg_options={
            'train_dataloader.dataset.source.ann_file': '{split.easy_split}',
            'train_dataloader.dataset.source.data_prefix.seg_map_path': '{split.pseudo_labels}',
            'train_dataloader.dataset.target.ann_file': '{split.hard_split}',
        }),
    select=dict(
        type='select',
        config='configs/point_sup/point_sup_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
        checkpoint='{g1.checkpoint}'),
    g2=dict(
        type='train',
        config='configs/point_sup/point_sup-g2_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
        cfg_options={'train_dataloader.dataset.target.label_store_dir': '{select.label_store}'}),
)
