# AdvEnt (multi-level): DeepLab-v2 R101, discriminators on the weighted
# self-information maps of the layer4 and layer3 classifiers (configs/uda/README.md).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/uda/gta2cs_advent.py',
          '../_base_/default_runtime.py', '../_base_/uda/schedule_advent_120k.py',
          '../_base_/uda/adversarial.py']
model = dict(
    _base_.uda_adversarial_model, **_base_.per_domain_bn,
    auxiliary_head={{_base_.layer3_aux_head}},
    alignment={{_base_.advent_alignment}})
optim_wrapper = dict(_delete_=True, constructor='MultiOptimWrapperConstructor',
                     segmentor=_base_.optim_wrapper,
                     discriminators=_base_.discriminator_optim_wrapper)
