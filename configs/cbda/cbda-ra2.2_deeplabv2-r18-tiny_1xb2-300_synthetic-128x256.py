# CBDA: class-balanced (Eqs. 1-3) dynamic (dataset-wide top-N) acquisition of
# RIPU's 3x3 regions, 2.2% of target pixels in 5 rounds, with RIPU's losses.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/cbda.py']
model = dict(extra_losses={{_base_.ripu_losses}})
