# Multi-anchor image selection (MADA, ICCV 2021; MADAv2, TPAMI): one round with
# the warm-up model. A source pass and (MADAv2) a target pass give every image
# its class-wise mean decoder features (Eqs. 1, 4); k-means with K = 10 gives the
# anchors of each domain (Eqs. 2-3, Fig. 6); each target image scores its
# Dual_Domain_Distance (Eq. 5: nearest source + nearest target anchor, mean
# squared difference as the authors' code) and the images with the LARGEST
# distance are labelled whole, dataset-wide. The class masks are read from the
# decode head's own low-resolution output (mask_resolution='feature', the
# authors' code: the argmax at the size of the features). Leaf configs set the
# image count (MADAv2: round(5 % x pool) = 149 of Cityscapes' 2975; MADA:
# int(5 % x pool) = 148) and mode='mada' for MADA.
active_learning = dict(
    budget=dict(type='images', value=149),
    scorer=dict(type='MultiAnchorScorer', num_anchors=10, mode='madav2',
                source_mask='label', min_pixels=10, seed=0, kmeans_iters=20,
                mask_resolution='feature'),
    unit=dict(type='ImageUnit', reduce='max'),  # the map is constant: max is exact
    allocator=dict(type='GlobalTopNAllocator'))
# Stage 1 (Eq. 6): CE on the source and on the active target images only, as the
# authors' code (a separate loader of the selected images; the unlabelled target
# images carry no loss): every target of a batch is a labelled image once the
# round has committed. Leaf configs: train_dataloader = dict(sampler=stage1_sampler).
stage1_sampler = dict(type='LabelledTargetTwoDomainSampler', labelled_ratio=1.0)
