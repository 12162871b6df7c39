# MinEnt on the synthetic benchmark: the source-only model adapted for 300
# iterations with the entropy of target predictions (both levels) as a loss.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/uda/synthetic_uda.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_adapt.py',
          '../_base_/uda/minent.py']
model = dict(
    domain_forward='per_domain',  # BatchNorm statistics per domain (authors' code)
    auxiliary_head={{_base_.layer3_aux_head}},
    domain_loss_weights=dict(target=0.0),  # unsupervised: no target labels
    extra_losses={{_base_.minent_losses}})
