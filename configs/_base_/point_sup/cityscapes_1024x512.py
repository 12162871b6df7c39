# Active point supervision on Cityscapes at the paper's sizes (Sec. 4.1 of
# "Labeling Where Adapting Fails"): the target at 1024x512 for G1, for the
# label acquisition and for G2; the source at 1,280x760 (the paper's size for
# both GTA5 and SYNTHIA; AdvEnt's code resizes GTA5 to 1280x720). Only new
# names here, so this file mixes with the configs/uda chain.
point_sup_target_scale = (1024, 512)
point_sup_source_scale = (1280, 760)
# Labelled source (G1 and G2).
point_sup_source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=point_sup_source_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# G1 scores the target images at 1024x512; the engine upsamples its prediction
# to the image size (ori_shape), so the 16 x 8 grid and the points live there.
point_sup_acquisition_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=point_sup_target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# G2's target: ActiveTargetDataset turns LoadAnnotations into
# LoadActiveLabels (points + pseudo labels at 2048x1024, 255 elsewhere);
# SparseLabelResize keeps every point at 1024x512 (a nearest-neighbour Resize
# keeps only those at even coordinates, a quarter of them).
point_sup_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='SparseLabelResize', scale=point_sup_target_scale, keep_ratio=False),
    dict(type='PackSegInputs'),
]
