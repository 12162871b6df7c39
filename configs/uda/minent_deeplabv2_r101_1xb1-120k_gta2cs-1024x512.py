# MinEnt (AdvEnt paper, Sec. 3.1): DeepLab-v2 R101 trained on labelled source and
# the mean normalised entropy of target predictions on both levels, no discriminator.
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/uda/gta2cs_advent.py',
          '../_base_/default_runtime.py', '../_base_/uda/schedule_advent_120k.py',
          '../_base_/uda/minent.py']
model = dict(
    # Authors' code (model.train(), frozen affine weights, source and target
    # forwarded separately): BatchNorm normalises each domain by its own batch
    # statistics and updates the running ones (configs/uda/README.md).
    backbone=dict(norm_eval=False),
    domain_forward='per_domain',
    auxiliary_head={{_base_.layer3_aux_head}},
    domain_loss_weights=dict(target=0.0),  # unsupervised: no target labels
    extra_losses={{_base_.minent_losses}})
