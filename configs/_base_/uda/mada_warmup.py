# MADA / MADAv2 warm-up (MADAv2 Sec. 4.2, Algorithm 1 step 1): AdaptSegNet
# (Tsai et al., CVPR 2018) output-space alignment on DeepLab-v3+: CE on the
# source, one discriminator on the softmax of the decode head with adversarial
# weight 0.01, no target label. The discriminator is the papers' 3x3 stride-2
# 64-128-256-512 network (ReLU x3, LeakyReLU 0.2), ending with the 1x1
# classifier of the authors' (CAG) code: MADADiscriminator. A leaf config
# merges these into its model as configs/uda/ does:
#   model = dict(type='AdversarialSegmentor', domain_loss_weights=dict(target=0.0),
#                discriminators={{_base_.mada_discriminators}},
#                alignment={{_base_.mada_alignment}})
_base_ = ['./adversarial.py']
mada_discriminators = dict(main=dict(type='MADADiscriminator'))
mada_alignment = dict(type='SoftmaxAlignment', levels=dict(main=0.01),
                      source_label=0, target_label=1)
