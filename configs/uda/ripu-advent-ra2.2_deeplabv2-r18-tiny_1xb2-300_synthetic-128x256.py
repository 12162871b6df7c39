# RIPU acquisition (3x3 regions, 2.2% in 5 rounds, its NL/LC losses) mixed with
# AdvEnt alignment: the RIPU config's segmenter becomes the segmenter of an
# AdversarialSegmentor; acquisition rounds and validation use that segmenter.
_base_ = ['../ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py',
          '../_base_/uda/adversarial_synthetic.py']
model = dict(
    type='AdversarialSegmentor',
    auxiliary_head={{_base_.layer3_aux_head}},
    discriminators={{_base_.two_level_discriminators}},
    alignment={{_base_.advent_alignment}})
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor={{_base_.optim_wrapper}},
    discriminators={{_base_.discriminator_optim_wrapper}})
