# Pixel-based annotation: 40 pixels per image at 640x1280 (RIPU's PA / LabOR
# budget), each pick suppressing its (2k+1)^2 neighbourhood, k=32.
active_learning = dict(
    budget=dict(type='pixels_per_image', value=40, reference_size=(640, 1280)),
    unit=dict(type='PixelUnit', suppress_k=32),
    allocator=dict(type='PerImageAllocator'))
