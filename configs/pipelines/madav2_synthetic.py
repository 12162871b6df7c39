# MADAv2 on the embedded synthetic benchmark, one command (configs/madav2/README.md):
# source-only model (the synthetic stand-in for the AdaptSegNet warm-up) ->
# stage 1 (one Dual_Domain_Distance round before the first step: 15 whole images,
# then CE on source + those images) -> stage 2 (frozen stage-1 teacher, ACP + ACM,
# OHEM, soft-anchor loss with k-means target anchors from the stage-1 model).
# Run: python tools/pipeline.py configs/pipelines/madav2_synthetic.py
work_dir = 'work_dirs/madav2_synthetic'
stages = dict(
    source_only=dict(
        type='train',
        config='configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py',
        work_dir='work_dirs/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256'),
    stage1=dict(
        type='train',
        config='configs/mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        load_from='{source_only.checkpoint}',
        work_dir='work_dirs/madav2_synthetic/stage1'),
    stage2=dict(
        type='train',
        config='configs/madav2/madav2-stage2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        load_from='{stage1.checkpoint}',
        cfg_options={'train_dataloader.dataset.target.label_store_dir':
                     '{stage1.work_dir}/active_labels'}),
)
