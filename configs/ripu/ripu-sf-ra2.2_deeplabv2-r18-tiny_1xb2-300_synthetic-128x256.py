# RIPU, source-free (appendix 6.4): start from the source-only model, then
# train on target only with CE on the acquired regions (RA 2.2%) plus
# negative learning (no source images, no local consistency loss).
# It starts from the source-only checkpoint (load_from of the schedule).
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/ripu_ra.py']
model = dict(default_domain='target', extra_losses=[_base_.nl_loss])  # target batches
train_dataloader = _base_.target_only_train_dataloader  # the active target dataset alone
