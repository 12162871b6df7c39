"""Table 4's adversarial (Eq. 17) and AADA (Eq. 18) image scorers on hand values."""
import math

import pytest
import torch

from mmada.active import AADAImageScorer, AdversarialImageScorer, adversarial_odds
from mmada.active import functional as F
from mmada.registry import SCORERS
from mmada.utils.errors import UserFacingError

DISC = dict(type='FCDiscriminator', in_channels=3, channels=(4, 4, 4, 4))


def test_adversarial_odds_hand_value():
    assert adversarial_odds(torch.tensor([0.25, 0.5, 0.8])).tolist() == \
        pytest.approx([3.0, 1.0, 0.25])


def _checkpoint(tmp_path, bias):
    """A warm-up-like checkpoint whose discriminator outputs the logit ``bias`` everywhere."""
    from mmada.registry import MODELS
    d = MODELS.build(DISC)
    state = {}
    for k, v in d.state_dict().items():
        v = torch.zeros_like(v)
        state[f'discriminators.main.{k}'] = v
    last = [k for k in state if k.endswith('bias')][-1]
    state[last] = torch.full_like(state[last], bias)
    state['segmentor.backbone.x'] = torch.zeros(1)
    path = str(tmp_path / 'warmup.pth')
    torch.save(dict(state_dict=state, meta={}), path)
    return path


def test_scorers_from_a_warmup_checkpoint(tmp_path):
    # sigmoid(log 3) = 0.75 = P(target) (source label 0) -> D = P(source) = 0.25 -> E_adv = 3
    path = _checkpoint(tmp_path, math.log(3))
    adv = SCORERS.build(dict(type='AdversarialImageScorer', checkpoint=path, discriminator=DISC))
    probs = torch.softmax(torch.randn(3, 64, 64), 0)
    score = adv(probs, ctx=None)
    assert score.shape == (64, 64) and torch.allclose(score, torch.full((64, 64), 3.0))
    aada = AADAImageScorer(checkpoint=path, discriminator=DISC)
    expect = F.pixel_entropy(probs, normalize=True) * 3.0
    assert torch.allclose(aada(probs, ctx=None), expect, atol=1e-5)
    # source label 1: the sigmoid is P(source) = 0.75 -> 1/3
    flipped = AdversarialImageScorer(checkpoint=path, discriminator=DISC, source_label=1)
    assert flipped.image_score(probs).item() == pytest.approx(1 / 3, rel=1e-5)


def test_missing_or_wrong_checkpoint_is_refused(tmp_path):
    with pytest.raises(UserFacingError, match='It is made by: python tools/train.py w.py'):
        AdversarialImageScorer(checkpoint=str(tmp_path / 'none.pth'), discriminator=DISC,
                               made_by='python tools/train.py w.py')
    path = _checkpoint(tmp_path, 0.)
    with pytest.raises(UserFacingError, match='no weights under'):
        AdversarialImageScorer(checkpoint=path, discriminator=DISC, level='aux')
    with pytest.raises(UserFacingError, match='does not match'):
        AdversarialImageScorer(checkpoint=path, discriminator=dict(DISC, in_channels=5))
