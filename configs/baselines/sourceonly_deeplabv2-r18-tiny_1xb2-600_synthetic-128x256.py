# Source only: train on labelled source images, evaluate on target val.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_src2tgt.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic.py']
train_dataloader = {{_base_.source_only_train_dataloader}}
