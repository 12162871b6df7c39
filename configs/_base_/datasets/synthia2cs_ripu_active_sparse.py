# synthia2cs_ripu_active.py for pixel budgets (PA): the queried pixels are single
# pixels at 2048x1024, and a nearest-neighbour Resize to 1280x640 keeps only
# the ones it happens to sample (about 39%); SparseLabelResize keeps every
# one at its scaled position (tests/test_datasets/test_pa_sparse_labels.py).
_base_ = ['./synthia2cs_ripu_active.py']
sparse_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # LoadActiveLabels in ActiveTargetDataset
    dict(type='SparseLabelResize', scale={{_base_.target_scale}}, keep_ratio=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(target=dict(dataset=dict(pipeline=sparse_target_pipeline))))
