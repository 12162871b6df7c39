# MinEnt (Vu et al., CVPR 2019, Sec. 3.1): the mean normalised entropy of target
# predictions as a loss on both levels; lambda_ent 0.001 (main) and 0.0002 (aux),
# as the authors' MinEnt config. ``model = dict(extra_losses={{_base_.minent_losses}})``.
minent_losses = [
    dict(type='EntropyMinLoss', domain='target', loss_weight=0.001, loss_name='loss_ent'),
    dict(type='EntropyMinLoss', domain='target', inputs=('aux_logits', 'img'),
         loss_weight=0.0002, loss_name='loss_ent_aux'),
]
