# ADA-MCU (Zhang et al., "Active Domain Adaptation with Multi-level Contrastive
# Units for Semantic Segmentation"): online pixel acquisition with adaptive
# sampling (Sec. III-B, Alg. 1). Every value the paper leaves open is named
# here with the reason for our choice; leaf configs override only deltas.
#
# Use as
#   model = dict(auxiliary_head={{_base_.layer3_aux_head}},
#                online_acquisition={{_base_.ada_mcu_acquisition}},
#                extra_losses={{_base_.ada_mcu_losses}})
# with an OnlineActiveTargetDataset target (``ada_mcu_target`` below) and a
# schedule that trains with ActiveIterBasedTrainLoop and OnlineAcquisitionHook
# (schedule_40k_online.py / schedule_synthetic_online.py).
ada_mcu_acquisition = dict(
    type='AdaMCUOnlineAcquisition',
    # M_e as a share of all target pixels at label resolution (the store's,
    # the images' original size): Table I's first column, 1.7 %; leaves
    # derived from a 1.7 % config set 3.4 / 6.8 / 16.8 %, Tables III-IV 5 %.
    budget=dict(type='ratio', value=0.017),
    # Eq. 1: S = E + gamma * KL(p_main || p_aux); the paper: gamma = 0.5.
    gamma=0.5,
    # Our choice: initial pi_high = 1.0. S = E + 0.5 KL with E in [0, 1], so
    # S >= 1 needs a near-uniform main prediction that also disagrees with the
    # auxiliary head: G_h starts almost empty, as Sec. IV-C describes ("only
    # around 1 % of samples are selected as G_h").
    pi_high=1.0,
    # Our choice: pi_low = 0.1 (normalised entropy 0.1: a confident pixel);
    # the paper gives no value. pi_high never decays below it.
    pi_low=0.1,
    # Alg. 1: r = 0.9, applied per target epoch (Sec. IV-C text: "in each
    # training epoch"; Alg. 1 line 16 counts iterations in the same variable,
    # decay_every='iter' is that literal reading).
    decay=0.9,
    decay_every='epoch',
    # Our choice: at most 2048 pixels per group, image and iteration. With a
    # 2975-image target, 40k iterations of 2 target images (27 epochs) and a
    # budget of 1.7 %, the second half of M_e (G_m only) takes about 9 target
    # epochs at this rate; leaves with larger budgets scale it.
    samples_per_image=2048,
    # Footnote 3: half of G_h is sampled (|G_h| = 2 M_a); the same count is
    # drawn from G_m and G_l (adaptive sampling, Sec. III-C 2).
    sample_fraction=0.5,
    # Sec. III-B: sampled G_h and G_m pixels get ground truth in phase 1; then
    # M_e / 2 more from G_m (Alg. 1 line 10); then none.
    label_groups=dict(high=('high', 'medium'), medium=('medium', ), stop=()),
    # Sampled G_l pixels get the current prediction as pseudo labels (Eq. 5).
    pseudo_labels=True,
    # The paper divides source pixels into groups too (centres of the
    # contrastive units come from G_l of each domain).
    source_groups=True,
    seed=0)
# Tables III-IV: 5 % of the target pixels, samples scaled like the budget
# (2048 x 5 / 1.7).
ada_mcu_acquisition_5pct = dict(
    ada_mcu_acquisition, budget=dict(type='ratio', value=0.05), samples_per_image=6024)
# Eqs. 4-6: L_seg sums the cross-entropy over pixels, so every target pixel with
# a label, ground truth (sampled G_h, G_m) or pseudo (sampled G_l, Eq. 5: the
# argmax of the prediction), weighs the same: weighting='all_labels' makes this
# loss the target's decode-head cross-entropy, one mean over all of them (the
# segmentor leaves its own target decode CE out). The source CE stays its own
# mean (a sum would weigh every dense source pixel like a sparse target label).
# Weight 1 (Eq. 6 sums the three terms with no weight).
ada_mcu_pseudo_loss = dict(type='PseudoLabelCELoss', domain='target', loss_weight=1.0,
                           weighting='all_labels', loss_name='loss_seg')
ada_mcu_losses = [ada_mcu_pseudo_loss]
# "AL w/o AS" (Table VI): no equal-count sampling; every pixel of G_h is
# labelled (until the budget) and every pixel of G_l pseudo-labelled.
ada_mcu_without_as = dict(
    samples_per_image=None,
    sample_fraction=1.0,
    label_groups=dict(high=('high', ), medium=('high', ), stop=()))
