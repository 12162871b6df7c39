# Loaders shared by the two-domain dataset bases, which add their datasets:
# batches of 2 source + 2 target images (batch_size is per domain), validation
# on the target one image at a time with mIoU, and the single-domain loader of
# the source-only baseline (``source_only_train_dataloader``, which replaces
# ``train_dataloader``) and of the source-free configs
# (``target_only_train_dataloader``, the active target dataset alone; the
# dataset bases add it).
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteTwoDomainSampler', shuffle=True),
    dataset=dict(type='TwoDomainDataset'))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
source_only_train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True))
target_only_train_dataloader = dict(source_only_train_dataloader)
