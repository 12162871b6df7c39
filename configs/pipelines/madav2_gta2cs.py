# MADAv2 (TPAMI 2023) on gta2cs, one command (configs/madav2/README.md): AdaptSegNet warm-up on
# DeepLab-v3+ -> stage 1 (one selection round of 149 whole images before the first
# step, then CE on source + those images) -> stage 2 (from stage 1's checkpoint and
# label store). Each stage also runs alone (--only STAGE) and resumes when rerun.
# Run: python tools/pipeline.py configs/pipelines/madav2_gta2cs.py
work_dir = 'work_dirs/madav2_gta2cs'
stages = dict(
    warmup=dict(
        type='train',
        config='configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512.py',
        work_dir='work_dirs/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512'),
    stage1=dict(
        type='train',
        config='configs/madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py',
        load_from='{warmup.checkpoint}'),
    stage2=dict(
        type='train',
        config='configs/madav2/madav2-stage2-img5_deeplabv3plus-r101_1xb4-149k_gta2cs-896x512.py',
        load_from='{stage1.checkpoint}',
        cfg_options={'train_dataloader.dataset.target.label_store_dir':
                     '{stage1.work_dir}/active_labels'}),
)
