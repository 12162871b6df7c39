# Stage 2 (G2) of active point supervision (Sec. 3.3, Eqs. 7-9 of "Labeling
# Where Adapting Fails"): a fresh segmenter (the stage-1 config's initial
# weights: ImageNet on the real benchmarks) and fresh discriminators, trained
# on source CE + target CE on the label store of the selection stage (oracle
# points and pseudo labels, Eq. 7; ActiveTargetDataset(with_pseudo=True)) +
# the stage-1 config's AdvEnt alignment on both levels (Eqs. 8-9). The store
# is read, never changed: no acquisition hook; it must hold the selection's
# round (required_rounds=1), or the run stops before training and says so.
# A leaf sets ``train_dataloader.dataset.target`` with these keys and
# ``label_store_dir`` (tools/pipeline.py passes the selection stage's).
point_sup_stage2_target = dict(type='ActiveTargetDataset', with_pseudo=True, required_rounds=1)
