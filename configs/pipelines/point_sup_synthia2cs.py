# Active point supervision, SYNTHIA -> Cityscapes, one command (configs/point_sup/README.md):
# G1 (AdvEnt, DeepLab-v2 R101 from ImageNet, 120k iterations) -> label acquisition
# from G1's final checkpoint (K = 10 top-entropy patches x 5 points by the oracle,
# G1's prediction as pseudo labels at the other points) -> G2 (a fresh model from
# ImageNet and new discriminators: CE on source, CE on the points and pseudo
# labels, AdvEnt on both levels).
# Run: python tools/pipeline.py configs/pipelines/point_sup_synthia2cs.py
# Other rows of Tables 1-3 (G1 is shared, its work dir is fixed), e.g. random selection:
#   --cfg-options stages.select.config=configs/point_sup/point_sup-random_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py
#                 work_dir=work_dirs/point_sup-random_synthia2cs
# Annotators instead of the ground-truth oracle: --cfg-options stages.select.export=True
# The stages of point_sup_gta2cs.py with the synthia2cs configs.
_base_ = ['./point_sup_gta2cs.py']
work_dir = 'work_dirs/point_sup_synthia2cs'
stages = dict(
    g1=dict(config='configs/point_sup/point_sup-g1-advent_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py',
            work_dir='work_dirs/point_sup_synthia2cs/g1'),
    select=dict(config='configs/point_sup/point_sup_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py'),
    g2=dict(config='configs/point_sup/point_sup-g2_deeplabv2_r101_1xb1-120k_synthia2cs-1024x512.py'))
