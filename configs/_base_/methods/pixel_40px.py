# Pixel-based annotation: 40 pixels per image at 640x1280 (RIPU's PA / LabOR
# budget), each pick suppressing its (2k+1)^2 neighbourhood, k=32. Pixels are
# picked at full resolution, so the budget keeps the density of 40 px at
# 640x1280: 40 / 5 rounds x 2.56 = 20.48 px per round at 1024x2048, rounded up
# as the RIPU authors' code does (21 per round, 105 in total; 'nearest' gives
# 20 / 100).
active_learning = dict(
    budget=dict(type='pixels_per_image', value=40, reference_size=(640, 1280),
                rounding='ceil'),
    unit=dict(type='PixelUnit', suppress_k=32),
    allocator=dict(type='PerImageAllocator'))
