# AdvEnt + MinEnt trained jointly: AdvEnt's entropy-map alignment plus the
# MinEnt loss on both levels (the paper's AdvEnt+MinEnt averages the predictions of
# two separately trained models instead; configs/uda/README.md).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/uda/synthia2cs_advent.py',
          '../_base_/default_runtime.py', '../_base_/uda/schedule_advent_120k.py',
          '../_base_/uda/adversarial.py', '../_base_/uda/minent.py']
model = dict(
    _base_.uda_adversarial_model, **_base_.per_domain_bn,
    decode_head=dict(num_classes={{_base_.synthia_num_classes}}),  # SYNTHIA's 16 classes
    auxiliary_head={{_base_.synthia_layer3_aux_head}},
    extra_losses={{_base_.minent_losses}},
    alignment={{_base_.advent_alignment}})
optim_wrapper = dict(_delete_=True, constructor='MultiOptimWrapperConstructor',
                     segmentor=_base_.optim_wrapper,
                     discriminators=_base_.discriminator_optim_wrapper)
