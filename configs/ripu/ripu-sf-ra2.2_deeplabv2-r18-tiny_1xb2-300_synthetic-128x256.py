# RIPU, source-free (appendix 6.4): start from the source-only model, then
# train on target only with CE on the acquired regions (RA 2.2%) plus
# negative learning (no source images, no local consistency loss).
# It starts from the source-only checkpoint (load_from of the schedule).
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_synthetic_active.py',
    '../_base_/methods/region_2.2pct.py'
]
active_target_train = {{_base_.active_target_train}}
train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=active_target_train)
model = dict(
    default_domain='target',
    extra_losses=[
        dict(type='NegativeLearningLoss', domain='target', tau=0.05, loss_weight=1.0)
    ])
active_learning = dict(scorer=dict(type='RIPUScorer', k=1, mode='region'))
