# Adversarial settings of the synthetic benchmark's 300 adaptation iterations of
# a narrow ResNet-18: Adam at 2e-4 and discriminators of half the papers' width
# (32-64-128-256-1, like the narrow backbone; a quarter of the cost).
# AdvEnt keeps the papers' alignment weights (0.001 / 0.0002): a loss weight sets
# the ratio of the alignment gradient to the segmentation gradient at every step,
# which fewer iterations do not change. The earlier 10x weights (0.01 / 0.002,
# meant to make up for 300 instead of 120k iterations) put AdvEnt below source
# only (configs/uda/README.md, "Synthetic benchmark"). AdaptSegNet's synthetic
# weights were not measured and stay 10x.
_base_ = ['./adversarial.py']
two_level_discriminators = dict(
    main=dict(channels=(32, 64, 128, 256)), aux=dict(channels=(32, 64, 128, 256)))
uda_adversarial_model = dict(discriminators=two_level_discriminators)
discriminator_optim_wrapper = dict(optimizer=dict(lr=2e-4))
adaptsegnet_alignment = dict(levels=dict(main=0.01, aux=0.002))
advent_alignment = dict(levels=dict(main=0.001, aux=0.0002))
