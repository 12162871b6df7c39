# MADAv2 Table 4 "Adversarial" (Eq. 17): the warm-up's discriminator picks the
# 5 % of images it finds least like the source, E_adv = (1 - D) / D; then stage 1.
_base_ = ['../madav2/madav2-stage1-img5_deeplabv3plus-r101_1xb2-112k_gta2cs-896x512.py']
active_learning = dict(
    scorer=dict(_delete_=True, type='AdversarialImageScorer',
                checkpoint='work_dirs/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512/iter_29750.pth',
                discriminator=dict(type='MADADiscriminator', in_channels=19), level='main',
                source_label=0,  # AdaptSegNet's domain labels (configs/_base_/uda/mada_warmup.py)
                made_by='python tools/train.py '
                'configs/madav2/warmup-adaptsegnet_deeplabv3plus-r101_1xb2-30k_gta2cs-896x512.py'))
