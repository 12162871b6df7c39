# MADAv2 stage 2 (Ning et al., TPAMI 2023, Eqs. 6-15; Algorithm 1 steps 6-13)
# as pieces a leaf config composes (Table 3: M(2) = teacher + OHEM, M(3) = + ACM
# and ACP, M(4) = + soft-anchor loss = MADAv2). Every piece mixes with any
# acquisition: they read only the batch (acquired labels, 255 elsewhere).
#
#   model = dict(batch_steps=[...], extra_losses=[...],
#                domain_loss_weights={{_base_.stage2_domain_loss_weights}})
#
# Batch steps run before the forward, in this order:
# * the teacher: the frozen stage-1 model (authors' code; mode='ema' for a mean
#   teacher, which also needs dict(type='EMATeacherHook') in custom_hooks) adds the domain 'pseudo' = the target images with the acquired
#   labels where there are some and its argmax elsewhere (all pixels, as the
#   paper; the code also drops a percentile of pixels by entropy);
# * ACP (Eq. 12) pastes drawn tail classes between the labelled target images
#   of the batch ('target', in place);
# * ACM (Eqs. 9-11) cuts, from the batch's image with most pixels of a drawn
#   class, the bounding box of a random region of that class (the authors'
#   stage-2 config: no_pad, no_slim) into every 'pseudo' image.
# Losses: CE on source and labelled target (Eq. 6; the authors' code drops the
# source: domain_loss_weights source=0), OHEM on the ACP'd labelled target and
# on the ACM'd pseudo-labelled images (Eq. 13), soft-anchor loss on the unmixed
# target images (Eq. 14) after a stage-2 warm-up (the code: epoch 50 of 200).
num_classes = 19
head_classes = (0, 1, 2, 8, 10)  # road, sidewalk, building, vegetation, sky
# Batches of 4 pairs: 2 labelled target images (the authors' loader of labelled
# images: CE, OHEM and ACP, which needs two, in every step) and 2 from the pool
# (the teacher's pseudo labels and ACM; the authors' code mixes 2 unlabelled
# images per step). Leaf configs: train_dataloader = dict(batch_size=stage2_batch_size).
stage2_batch_size = 4
labelled_per_batch = 2
# OHEM keeps at least the authors' share: 100,000 of their 4 labelled 896x512
# crops (5.4 %) -> 50,000 of the 2 labelled crops ('target') and 100,000 of the
# 4 pseudo-labelled crops ('pseudo': every target image of the batch).
ohem_min_kept_labelled = 50000
ohem_min_kept_pseudo = 100000
anchor_feat_channels = 256  # DeepLab-v3+ decoder (deeplabv3plus_r101_mada.py)
anchor_start_iter = 37500  # a quarter of stage 2 (epoch 50 of 200)
stage2_teacher = dict(type='PseudoLabelTeacher', mode='frozen', min_confidence=0.0)
stage2_acp = dict(type='AdaptiveCopyPaste', num_classes=num_classes,
                  head_classes=head_classes, num_query=3, momentum=0.999, seed=0)
stage2_acm = dict(type='AdaptiveCutMix', num_classes=num_classes, area_ratio=0.5,
                  momentum=0.999, seed=1, box='region', area_thresh=0.005)
stage2_ohem_labelled = dict(type='OHEMCrossEntropyLoss', domain='target', thresh=0.7,
                            min_kept=ohem_min_kept_labelled, loss_name='loss_ohem')
stage2_ohem_unlabelled = dict(type='OHEMCrossEntropyLoss', domain='pseudo', thresh=0.7,
                              min_kept=ohem_min_kept_pseudo, loss_name='loss_ohem')
stage2_anchor_loss = dict(
    type='SoftAnchorAlignmentLoss', num_classes=num_classes,
    feat_channels=anchor_feat_channels, num_anchors=10, momentum=0.999,
    start_iter=anchor_start_iter, min_pixels=10, domain='target', loss_weight=0.1,
    normalisation_pooling=True)  # the authors' gradient scaling of the class means
# 'pseudo' is trained by OHEM only (weight 0 for its plain CE).
stage2_domain_loss_weights = dict(source=1.0, target=1.0, pseudo=0.0)
# The first labelled_per_batch targets of every batch are labelled images (the
# authors' code gives them their own loader), the others come from the pool.
stage2_sampler = dict(type='LabelledTargetTwoDomainSampler',
                      labelled_per_batch=labelled_per_batch, batch_size=stage2_batch_size)
# k-means target anchors from the loaded stage-1 model before the first step
# (Algorithm 1 step 7), masks from the low-resolution output as the selection;
# a resumed run restores them from the checkpoint.
anchor_init_hook = dict(type='TargetAnchorInitHook', seed=0, kmeans_iters=20, min_pixels=10,
                        mask_resolution='feature')
