# AdvEnt on the synthetic benchmark: the source-only model adapted for 300
# iterations with entropy-map alignment on both levels and no target label.
_base_ = ['../_base_/models/deeplabv2_r18_tiny.py', '../_base_/uda/synthetic_uda.py',
          '../_base_/default_runtime.py', '../_base_/schedules/schedule_synthetic_adapt.py',
          '../_base_/uda/adversarial_synthetic.py']
model = dict(
    _base_.uda_adversarial_model, domain_forward='per_domain',  # BN statistics per domain
    auxiliary_head={{_base_.layer3_aux_head}},
    alignment={{_base_.advent_alignment}})
optim_wrapper = dict(_delete_=True, constructor='MultiOptimWrapperConstructor',
                     segmentor=_base_.optim_wrapper,
                     discriminators=_base_.discriminator_optim_wrapper)
