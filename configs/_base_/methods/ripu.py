# RIPU defaults (Xie et al., CVPR 2022).
# Training objective Eq. 13: L_sup + alpha1 * L_cr^s + alpha2 * L_nl^t with
# alpha1 = 0.1 (local consistency on source, Eq. 10) and alpha2 = 1.0
# (negative learning on target, Eqs. 11-12, tau = 0.05).
# L_cr^s at input resolution (logits upsampled to the input size, as the
# authors' code does), averaged over every pixel as Eq. 10 writes it.
# Use as ``model = dict(extra_losses={{_base_.ripu_losses}})``.
lcr_loss = dict(type='LocalConsistencyLoss', domain='source', loss_weight=0.1,
                resolution='input')
nl_loss = dict(type='NegativeLearningLoss', domain='target', tau=0.05, loss_weight=1.0)
ripu_losses = [lcr_loss, nl_loss]
# Named option, the authors' code: L_cr^s only at source label boundaries
# (``model = dict(extra_losses={{_base_.ripu_losses_authors}})``).
ripu_losses_authors = [dict(lcr_loss, boundary_only=True), nl_loss]
