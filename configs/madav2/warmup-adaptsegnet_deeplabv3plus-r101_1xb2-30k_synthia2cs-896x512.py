# Table 3's M(0) and the warm-up of MADA and MADAv2 (Algorithm 1 step 1):
# AdaptSegNet on DeepLab-v3+ R101 (256-channel decoder, authors' code), CE on
# the source, softmax alignment of the decode head (weight 0.01), 20 epochs
# (paper) of Cityscapes train; the target loads no labels. Its checkpoint is
# the model of the selection round and the start of stage 1.
#   python tools/train.py configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_synthia2cs-896x512.py
_base_ = [
    '../_base_/models/deeplabv3plus_r101_mada.py',
    '../_base_/datasets/synthia2cs_mada.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_mada.py',
    '../_base_/uda/mada_warmup.py',
]
uda_target_pipeline = [
    dict(type='LoadImageFromFile'),
    {{_base_.rescale}},
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size={{_base_.pad_size}}, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(target=dict(pipeline=uda_target_pipeline)))
model = dict(
    type='AdversarialSegmentor',
    decode_head=dict(num_classes={{_base_.synthia_num_classes}}),  # SYNTHIA's 16 classes
    domain_loss_weights=dict(target=0.0),  # unsupervised: no target labels
    discriminators={{_base_.mada_discriminators}},
    alignment={{_base_.mada_alignment}})
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor={{_base_.optim_wrapper}},
    discriminators={{_base_.discriminator_optim_wrapper}})
train_cfg = {{_base_.warmup_train_cfg}}
param_scheduler = {{_base_.warmup_scheduler}}
