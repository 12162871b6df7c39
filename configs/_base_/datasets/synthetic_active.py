# Synthetic benchmark (synthetic_src2tgt.py) with an *active* target: target
# training labels are the ones acquired so far (255 elsewhere), read from the
# label store on disk (``active_target_train`` of the base).
_base_ = ['./synthetic_src2tgt.py']
train_dataloader = dict(dataset=dict(target={{_base_.active_target_train}}))
