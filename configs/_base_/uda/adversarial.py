# Adversarial output-space alignment (AdaptSegNet, Tsai et al. CVPR 2018;
# AdvEnt, Vu et al. CVPR 2019) at the authors' settings. A leaf config turns
# the TwoDomainSegmentor of its model base into an AdversarialSegmentor by
# merging (see configs/uda/README.md):
#   model = dict(type='AdversarialSegmentor',
#                discriminators={{_base_.two_level_discriminators}},
#                alignment={{_base_.advent_alignment}}, ...)
#   optim_wrapper = dict(_delete_=True, constructor='MultiOptimWrapperConstructor',
#                        segmentor={{_base_.optim_wrapper}},
#                        discriminators={{_base_.discriminator_optim_wrapper}})
# The segmenter keeps the schedule's optimiser (SGD 2.5e-4, classifiers x10);
# param_scheduler (poly 0.9) applies to both optimisers, as in the authors' code.

# Two optimisers: each child in its own DDP, this model's train_step is called.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)
# One fully convolutional discriminator per level (4x4 convs, 64-128-256-512-1);
# in_channels is the segmenter's number of classes.
two_level_discriminators = dict(
    main=dict(type='FCDiscriminator'), aux=dict(type='FCDiscriminator'))
discriminator_optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)))
# lambda_adv: 0.001 on the layer4 (main) output, 0.0002 on the layer3 (aux) one;
# source label 0, target label 1; the segmenter's auxiliary CE weight 0.1 is
# the layer3_aux_head's loss_weight.
adaptsegnet_alignment = dict(
    type='SoftmaxAlignment', levels=dict(main=0.001, aux=0.0002),
    source_label=0, target_label=1)
advent_alignment = dict(
    type='EntropyAlignment', levels=dict(main=0.001, aux=0.0002),
    source_label=0, target_label=1)
# The segmentor of the unsupervised AdvEnt / AdaptSegNet configs (no target
# labels, one discriminator per level); a leaf adds its alignment and heads:
#   model = dict(_base_.uda_adversarial_model, **_base_.per_domain_bn,
#                alignment=_base_.advent_alignment, auxiliary_head=...)
uda_adversarial_model = dict(
    type='AdversarialSegmentor', domain_loss_weights=dict(target=0.0),
    discriminators=two_level_discriminators)
# Authors' code (model.train(), frozen affine weights, source and target
# forwarded separately): BatchNorm normalises each domain by its own batch
# statistics and updates the running ones (configs/uda/README.md).
per_domain_bn = dict(backbone=dict(norm_eval=False), domain_forward='per_domain')
