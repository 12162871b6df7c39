# Stage 1 (G1) of active point supervision on the embedded synthetic benchmark:
# configs/uda's synthetic AdvEnt as it is (the source-only model adapted for 300
# iterations, entropy alignment on both levels, no target label; the synthetic
# AdamW already has weight decay 1e-4). Train the source-only config first (its
# checkpoint is load_from), or run configs/pipelines/point_sup_synthetic.py.
_base_ = ['../uda/advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
