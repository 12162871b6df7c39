# Active point supervision on the embedded synthetic benchmark, one command
# (configs/point_sup/README.md): source-only model (the synthetic stand-in for
# ImageNet weights) -> G1 (AdvEnt) -> label acquisition from G1's checkpoint
# (K = 10 patches x 5 points, pseudo labels elsewhere) -> G2 (a fresh model from
# the source-only weights, new discriminators, CE on points + pseudo labels +
# AdvEnt). Run: python tools/pipeline.py configs/pipelines/point_sup_synthetic.py
# Another selection: --cfg-options stages.select.config=configs/point_sup/point_sup-random_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py
#   work_dir=work_dirs/point_sup-random_synthetic   (G1 is shared: its work dir is fixed)
work_dir = 'work_dirs/point_sup_synthetic'
stages = dict(
    source_only=dict(
        type='train',
        config='configs/baselines/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256.py',
        work_dir='work_dirs/sourceonly_deeplabv2-r18-tiny_1xb2-600_synthetic-128x256'),
    g1=dict(
        type='train',
        config='configs/point_sup/point_sup-g1-advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        load_from='{source_only.checkpoint}',
        work_dir='work_dirs/point_sup_synthetic/g1'),
    select=dict(
        type='select',
        config='configs/point_sup/point_sup_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        checkpoint='{g1.checkpoint}'),
    g2=dict(
        type='train',
        config='configs/point_sup/point_sup-g2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
        load_from='{source_only.checkpoint}',
        cfg_options={'train_dataloader.dataset.target.label_store_dir': '{select.label_store}'}),
)
