# MADAv2 Table 4 "Adversarial" (Eq. 17) on the embedded benchmark: the synthetic
# AdaptSegNet run is the warm-up (its segmenter selects, its main discriminator
# scores E_adv = (1 - D) / D); then stage 1 as the other configs here.
#   python tools/train.py configs/uda/adaptsegnet_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py
_base_ = ['../mada/madav2-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py']
warmup = 'work_dirs/adaptsegnet_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256/iter_300.pth'
warmup_made_by = ('python tools/train.py '
                  'configs/uda/adaptsegnet_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py')
load_from = warmup  # its segmentor part
load_from_made_by = warmup_made_by
active_learning = dict(
    scorer=dict(_delete_=True, type='AdversarialImageScorer', checkpoint=warmup,
                discriminator=dict(type='FCDiscriminator', in_channels=19,
                                   channels=(32, 64, 128, 256)),  # adversarial_synthetic.py
                level='main', source_label=0, made_by=warmup_made_by))
