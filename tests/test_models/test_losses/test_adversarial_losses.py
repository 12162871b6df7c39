"""Adversarial alignment math on hand examples: self-information map, BCE with
the label convention, segmenter / discriminator losses, MinEnt."""
import math

import pytest
import torch

from mmada.models.losses import (EntropyAlignment, EntropyMinLoss, SoftmaxAlignment,
                                 domain_bce, normalised_entropy, self_information_map)


def test_self_information_map_hand_values():
    probs = torch.tensor([0.5, 0.5, 0.0, 0.0]).view(1, 4, 1, 1)
    # -0.5 ln 0.5 / ln 4 = 0.25 for the two classes with mass, 0 elsewhere
    expected = torch.tensor([0.25, 0.25, 0.0, 0.0]).view(1, 4, 1, 1)
    torch.testing.assert_close(self_information_map(probs), expected)
    uniform = torch.full((1, 4, 2, 3), 0.25)
    torch.testing.assert_close(normalised_entropy(uniform), torch.ones(1, 2, 3))
    one_hot = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1)
    assert normalised_entropy(one_hot).item() == 0.0


def test_domain_bce_label_convention():
    logits = torch.tensor([0.0, 2.0])
    # label 0 (source): mean(ln 2, ln(1 + e^2)); label 1 (target): mean(ln 2, ln(1 + e^-2))
    assert domain_bce(logits, 0).item() == pytest.approx(
        (math.log(2) + math.log(1 + math.e ** 2)) / 2, rel=1e-6)
    assert domain_bce(logits, 1).item() == pytest.approx(
        (math.log(2) + math.log(1 + math.e ** -2)) / 2, rel=1e-6)


def test_alignment_losses_hand_values():
    align = EntropyAlignment(levels=dict(main=0.001, aux=0.0002))
    d_src = dict(main=torch.zeros(1, 1, 2, 2), aux=torch.full((1, 1, 2, 2), math.log(3)))
    d_tgt = dict(main=torch.full((1, 1, 2, 2), math.log(3)), aux=torch.zeros(1, 1, 2, 2))
    # segmenter: target maps against the *source* label 0; sigmoid(ln 3) = 0.75
    seg = align.segmentor_losses(d_tgt)
    assert seg['loss_adv_main'].item() == pytest.approx(0.001 * -math.log(0.25), rel=1e-6)
    assert seg['loss_adv_aux'].item() == pytest.approx(0.0002 * math.log(2), rel=1e-6)
    # discriminator: mean of BCE(source, 0) and BCE(target, 1), unweighted
    disc = align.discriminator_losses(d_src, d_tgt)
    assert disc['loss_d_main'].item() == pytest.approx(
        0.5 * (math.log(2) - math.log(0.75)), rel=1e-6)
    assert disc['loss_d_aux'].item() == pytest.approx(
        0.5 * (-math.log(0.25) + math.log(2)), rel=1e-6)
    # flipped convention flips the terms
    flipped = EntropyAlignment(levels=dict(main=1.0), source_label=1, target_label=0)
    assert flipped.segmentor_losses(dict(main=d_tgt['main']))['loss_adv_main'].item() == \
        pytest.approx(-math.log(0.75), rel=1e-6)


def test_alignment_maps_are_softmax_or_entropy_at_input_size():
    logits = torch.zeros(1, 4, 2, 2)
    logits[0, 1] = math.log(3)  # probs (1, 3, 1, 1) / 6 everywhere
    outputs = dict(img=torch.zeros(1, 3, 8, 8), seg_logits=logits, aux_logits=logits * 0)
    soft = SoftmaxAlignment(levels=dict(main=1.0, aux=1.0)).maps(outputs)
    assert soft['main'].shape == (1, 4, 8, 8)
    torch.testing.assert_close(soft['main'][0, :, 5, 3], torch.tensor([1, 3, 1, 1]) / 6.)
    torch.testing.assert_close(soft['aux'], torch.full((1, 4, 8, 8), 0.25))
    ent = EntropyAlignment(levels=dict(main=1.0)).maps(outputs)
    p = torch.tensor([1, 3, 1, 1]) / 6.
    torch.testing.assert_close(ent['main'][0, :, 0, 0], -p * p.log() / math.log(4))


def test_entropy_min_loss_hand_values_and_levels():
    loss = EntropyMinLoss(loss_weight=0.001)
    img = torch.zeros(2, 3, 8, 8)
    assert loss(img=img, seg_logits=torch.zeros(2, 5, 2, 2)).item() == pytest.approx(1.0)
    peaked = torch.zeros(2, 5, 2, 2)
    peaked[:, 0] = 50.0
    assert loss(img=img, seg_logits=peaked).item() < 1e-12
    aux = EntropyMinLoss(inputs=('aux_logits', 'img'))
    assert aux.loss_name == 'loss_ent' and aux.domain == 'target'
    assert aux(img=img, aux_logits=torch.zeros(2, 5, 2, 2)).item() == pytest.approx(1.0)


def test_alignment_config_errors():
    with pytest.raises(ValueError, match='levels'):
        EntropyAlignment(levels=dict(layer2=1.0))
    with pytest.raises(ValueError, match='differ'):
        SoftmaxAlignment(source_label=1, target_label=1)
    with pytest.raises(ValueError, match='inputs'):
        EntropyMinLoss(inputs=('seg_logits', ))
