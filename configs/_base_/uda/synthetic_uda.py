# Synthetic benchmark with an unlabelled target (unsupervised adaptation): the
# target training pipeline loads no labels.
_base_ = ['../datasets/synthetic_src2tgt.py']
uda_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(target=dict(pipeline=uda_target_pipeline)))
