# Active point supervision, label acquisition (Sec. 3.2, Eqs. 5-6 of "Labeling
# Where Adapting Fails"; see configs/point_sup/README.md). One round on the
# stage-1 (UDA) model's target predictions:
# - the entropy map (EntropyScorer: -sum_c p_c log p_c per pixel) is cut by a
#   regular grid of rows x cols patches, given here and scaled to the image
#   size: grid=(8, 16) is the paper's 16 x 8 grid, 128 patches of 64 x 64 at
#   1024 x 512 (16 x 16 at the synthetic 128 x 256);
# - patch score = summed entropy (Eq. 5, reduce='sum'; the text says "mean":
#   the same ranking while all patches have the same size);
# - N = 5 random points per patch, seeded per (seed, round, image), the same on
#   any number of ranks;
# - the top-K patches of every image (K = 10) go to the oracle: a per-image
#   budget of K x N = 50 points, counted in points (cost 1 each);
# - the points of the other patches get the stage-1 prediction as pseudo labels
#   (pseudo='points', Sec. 4.1 "we directly transfer the pseudo labels ... to the
#   selected points"); pseudo='dense' is the other reading of Eq. 6 / Sec. 3.2
#   ("for all the other non-selected patches, we directly copy its pseudo
#   labels"): every pixel outside the picked patches. Pseudo labels never count
#   as budget; train on them with ActiveTargetDataset(with_pseudo=True).
# K ablation (Table 3): budget value = K x 5; K = 0 (value 0: a pseudo-label-
# only round) is the self-training row, K = 128 (all points of all patches by
# the oracle) the full-labelling row.
active_learning = dict(
    scorer=dict(type='EntropyScorer'),
    unit=dict(type='GridPointsUnit', grid=(8, 16), points_per_patch=5, pseudo='points',
              reduce='sum'),
    budget=dict(type='pixels_per_image', value=10 * 5),
    allocator=dict(type='PerImageAllocator', budget_unit='pixels'))
