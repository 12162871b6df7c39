# Region-based annotation: 3x3 squares (k=1), 2.2% of the target pixels over
# the rounds, an equal share per image (RIPU's RA budget). Scorer: set by the
# leaf config.
active_learning = dict(
    budget=dict(type='ratio', value=0.022),
    unit=dict(type='SquareRegionUnit', k=1),
    allocator=dict(type='PerImageAllocator'))
