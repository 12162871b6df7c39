# The papers' schedule (AdvEnt/RIPU lineage): SGD, lr 2.5e-4, momentum 0.9,
# weight decay 5e-4, poly decay with power 0.9, classifier lr x10, 40k iters.
optimizer = dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    clip_grad=None,
    paramwise_cfg=dict(custom_keys={
        'decode_head': dict(lr_mult=10.0),
        'auxiliary_head': dict(lr_mult=10.0),
    }))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=40000, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # MMEngine's CheckpointHook that saves, then records last_checkpoint
    # atomically, then deletes the checkpoint beyond max_keep_ckpts.
    checkpoint=dict(type='CrashSafeCheckpointHook', by_epoch=False, interval=4000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # Before any iteration: the model's losses check the train batch size
    # (e.g. a cross-image contrastive level needs two images per domain).
    batch_check=dict(type='TrainBatchCheckHook'))
