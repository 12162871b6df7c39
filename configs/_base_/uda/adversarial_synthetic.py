# Adversarial settings of the synthetic benchmark: 300 adaptation iterations of a
# narrow ResNet-18, so stronger alignment weights and a faster discriminator
# than the papers' (lambda_adv 0.001 / 0.0002 and Adam 1e-4 over 120k iterations).
_base_ = ['./adversarial.py']
two_level_discriminators = dict(
    main=dict(type='FCDiscriminator', in_channels=19),
    aux=dict(type='FCDiscriminator', in_channels=19))
discriminator_optim_wrapper = dict(optimizer=dict(lr=1e-4))
adaptsegnet_alignment = dict(levels=dict(main=0.001, aux=0.0002))
advent_alignment = dict(levels=dict(main=0.001, aux=0.0002))
