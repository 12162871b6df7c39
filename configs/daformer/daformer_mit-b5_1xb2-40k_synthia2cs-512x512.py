# DAFormer (Hoyer et al., CVPR 2022), SYNTHIA -> Cityscapes, Table 4: 60.9 mIoU16
# (67.4 mIoU13). The GTA5 recipe in the 16-class label space; the thing classes
# of the feature distance are those of the 16 (light, sign, person, rider, car,
# bus, motorcycle, bicycle).
_base_ = [
    '../_base_/models/daformer_mitb5.py',
    '../_base_/datasets/synthia2cs_daformer.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_daformer_40k.py', '../_base_/methods/daformer.py'
]
synthia_thing_classes = (6, 7, 10, 11, 12, 13, 14, 15)
model = dict(
    decode_head=dict(num_classes={{_base_.synthia_num_classes}}),
    batch_steps=[{{_base_.teacher}}, {{_base_.mix}}],
    extra_losses=[
        {{_base_.pseudo_loss}},
        dict(type='ImageNetFeatureDistanceLoss', domain='source', loss_weight=0.005,
             num_classes=16, classes=synthia_thing_classes, scale_min_ratio=0.75,
             backbone={{_base_.mit_b5}})],
    domain_loss_weights={{_base_.domain_loss_weights}})
train_dataloader = dict(sampler={{_base_.rcs_sampler}})
custom_hooks = [{{_base_.ema_teacher_hook}}, {{_base_.step_seed_hook}}]
randomness = dict(seed=0)
