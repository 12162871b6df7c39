# AdaptSegNet on the synthetic benchmark: the source-only model adapted for 300
# iterations with softmax (output-space) alignment on both levels, no target label.
_base_ = ['./advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
model = dict(alignment=_base_.adaptsegnet_alignment)
