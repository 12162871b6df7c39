# Active point supervision with IntraDA as G1 (the paper's UDA framework, Sec. 4.1),
# SYNTHIA -> Cityscapes: AdvEnt (shared with point_sup_synthia2cs.py) -> IntraDA split
# (tools/intrada_split.py: entropy ranking, easy pseudo labels, lambda = 0.67) ->
# IntraDA intra-domain stage = G1 -> label acquisition from it -> G2.
# Run: python tools/pipeline.py configs/pipelines/point_sup-intrada_synthia2cs.py
# The stages of point_sup-intrada_gta2cs.py with the synthia2cs configs.
_base_ = ['./point_sup-intrada_gta2cs.py']
work_dir = 'work_dirs/point_sup-intrada_synthia2cs'
stages = dict(
    advent=dict(config='configs/point_sup/point_sup-g1-advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
                work_dir='work_dirs/point_sup_synthia2cs/g1'),
    g1=dict(config='configs/point_sup/point_sup-g1-intrada_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py'),
    select=dict(config='configs/point_sup/point_sup_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py'),
    g2=dict(config='configs/point_sup/point_sup-g2_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py'))
