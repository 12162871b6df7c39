# RIPU defaults (Xie et al., CVPR 2022).
# Training objective Eq. 13: L_sup + alpha1 * L_cr^s + alpha2 * L_nl^t with
# alpha1 = 0.1 (local consistency on source, Eq. 10) and alpha2 = 1.0
# (negative learning on target, Eqs. 11-12, tau = 0.05).
# Use as ``model = dict(extra_losses={{_base_.ripu_losses}})``.
ripu_losses = [
    dict(type='LocalConsistencyLoss', domain='source', loss_weight=0.1),
    dict(type='NegativeLearningLoss', domain='target', tau=0.05, loss_weight=1.0),
]
