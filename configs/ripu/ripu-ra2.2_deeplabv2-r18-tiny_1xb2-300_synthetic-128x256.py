# RIPU, region-based annotating (RA): 3x3 regions scored by region impurity x
# region uncertainty (Eq. 7, k=1), 2.2% of target pixels in 5 rounds.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/ripu_ra.py']
model = dict(extra_losses={{_base_.ripu_losses}})
