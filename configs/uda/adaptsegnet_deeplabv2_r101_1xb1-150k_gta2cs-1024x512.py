# AdaptSegNet (multi-level): DeepLab-v2 R101, discriminators on the softmax of the
# layer4 and layer3 classifiers, lambda_adv 0.001 / 0.0002 (configs/uda/README.md).
_base_ = ['../_base_/models/deeplabv2_r101.py', '../_base_/uda/gta2cs_advent.py',
          '../_base_/default_runtime.py', '../_base_/uda/schedule_adaptsegnet_150k.py',
          '../_base_/uda/adversarial.py']
model = dict(
    _base_.uda_adversarial_model, **_base_.per_domain_bn,
    auxiliary_head={{_base_.layer3_aux_head}},
    alignment={{_base_.adaptsegnet_alignment}})
optim_wrapper = dict(_delete_=True, constructor='MultiOptimWrapperConstructor',
                     segmentor=_base_.optim_wrapper,
                     discriminators=_base_.discriminator_optim_wrapper)
