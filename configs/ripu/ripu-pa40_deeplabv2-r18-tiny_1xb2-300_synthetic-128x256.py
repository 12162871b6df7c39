# RIPU, pixel-based annotating (PA): pixel entropy x region impurity, 40
# pixels per image in 5 rounds; k=32 at 640x1280 becomes k=6 at 128x256.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/ripu_pa.py']
model = dict(extra_losses={{_base_.ripu_losses}})
# 128x256 images: 40 clicks per image (no rescaling), k=32 at 640x1280 is k=6 here.
active_learning = dict(budget=dict(reference_size=None), unit=dict(suppress_k=6), scorer=dict(k=6))
