# Adversarial settings of the synthetic benchmark, chosen (not tuned) for its
# 300 adaptation iterations of a narrow ResNet-18: alignment weights 10x the
# papers' (0.01 / 0.002 instead of 0.001 / 0.0002 over 120k iterations), Adam
# at 2e-4, and discriminators of half the papers' width (32-64-128-256-1, like
# the narrow backbone; a quarter of the cost).
_base_ = ['./adversarial.py']
two_level_discriminators = dict(
    main=dict(channels=(32, 64, 128, 256)), aux=dict(channels=(32, 64, 128, 256)))
discriminator_optim_wrapper = dict(optimizer=dict(lr=2e-4))
adaptsegnet_alignment = dict(levels=dict(main=0.01, aux=0.002))
advent_alignment = dict(levels=dict(main=0.01, aux=0.002))
