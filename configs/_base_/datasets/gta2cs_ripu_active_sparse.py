# gta2cs_ripu_active.py for pixel budgets (PA): the target pipeline keeps every
# queried pixel (``sparse_target_pipeline`` of gta2cs_ripu.py).
_base_ = ['./gta2cs_ripu_active.py']
train_dataloader = dict(
    dataset=dict(target=dict(dataset=dict(pipeline=_base_.sparse_target_pipeline))))
