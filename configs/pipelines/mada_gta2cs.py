# MADA (ICCV 2021) on gta2cs, one command (configs/madav2/README.md): AdaptSegNet warm-up on
# DeepLab-v3+ -> stage 1 (one selection round of 149 whole images before the first
# step, then CE on source + those images) -> stage 2 (from stage 1's checkpoint and
# label store). Each stage also runs alone (--only STAGE) and resumes when rerun.
# Run: python tools/pipeline.py configs/pipelines/mada_gta2cs.py
# The stages of madav2_gta2cs.py (the same warm-up) with MADA's stage configs.
_base_ = ['./madav2_gta2cs.py']
work_dir = 'work_dirs/mada_gta2cs'
stages = dict(
    stage1=dict(config='configs/mada/mada-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py'),
    stage2=dict(config='configs/mada/mada-stage2-img5_deeplabv3plus-r101_1xb2-90k_gta2cs-896x512.py'))
