# Random regions (3x3, k=1), 2.2% of target pixels over 5 rounds.
_base_ = [
    '../_base_/models/deeplabv2_r18_tiny.py',
    '../_base_/datasets/synthetic_active.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_active.py'
]
custom_hooks = [
    dict(
        type='ActiveLearningHook',
        rounds={{_base_.active_rounds}},
        budget=dict(type='ratio', value=0.022),
        scorer=dict(type='RandomScorer'),
        unit=dict(type='SquareRegionUnit', k=1),
        allocator=dict(type='PerImageAllocator'))
]
