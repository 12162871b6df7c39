# Fully supervised upper bound: source + every target training label.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_src2tgt.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_adapt.py']
