# Random baseline, region-based: 3x3 squares, 2.2% of target pixels in 5 rounds.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/datasets/synthetic_active.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py',
          '../_base_/methods/region_2.2pct.py']
active_learning = dict(scorer=dict(type='RandomScorer'))
