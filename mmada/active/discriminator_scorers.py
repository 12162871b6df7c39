"""Image scorers from the warm-up discriminator: MADAv2 Table 4's adversarial and AADA rows.

MADAv2 (Ning et al., TPAMI 2023) compares its anchors with two selections
that use the discriminator ``f_D`` of the AdaptSegNet warm-up:

* adversarial (Eq. 17): ``E_adv = (1 - D) / D``, ``D`` the discriminator's
  probability that the image is a *source* image: images least like the
  source first;
* AADA (Su et al., WACV 2020; Eq. 18): ``E_AADA = E_ent * E_adv``, with
  ``E_ent`` the image's summed normalised pixel entropy (Eq. 16).

The discriminator sees the softmax of the segmentation at label resolution,
as in training (:class:`~mmada.models.losses.SoftmaxAlignment`); ``D`` is the
mean over its output map. Its weights come from the warm-up checkpoint.
"""
import os.path as osp
from typing import Optional

import torch
from torch import Tensor

from mmada.registry import SCORERS
from mmada.utils.errors import UserFacingError
from . import functional as F
from .base import BaseScorer, ImageContext


def adversarial_odds(source_prob: Tensor, eps: float = 1e-6) -> Tensor:
    """MADAv2 Eq. 17: ``(1 - D) / D`` for ``D`` the probability of the source.

    Args:
        source_prob: () or (N,) probabilities.
        eps: Floor of ``D``.

    Returns:
        Tensor: The odds against the source, same shape.
    """
    d = source_prob.clamp(eps, 1.)
    return (1. - d) / d


def _discriminator_state(path: str, prefix: str, made_by: Optional[str]) -> dict:
    if not osp.isfile(path):
        how = f' It is made by: {made_by}.' if made_by else ''
        raise UserFacingError(
            f'discriminator checkpoint {path} does not exist (the warm-up run that trains '
            f'the discriminator writes it).{how}')
    state = torch.load(path, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state)
    found = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not found:
        raise UserFacingError(
            f'{path} has no weights under {prefix!r}: give the checkpoint of an '
            'AdversarialSegmentor run (keys discriminators.<level>.*) and its level.')
    return found


@SCORERS.register_module()
class AdversarialImageScorer(BaseScorer):
    """Table 4's adversarial selection (MADAv2 Eq. 17), an image scorer.

    Every pixel scores its image's ``E_adv``; pair it with ``ImageUnit``
    (``reduce='max'``), ``GlobalTopNAllocator`` and an ``images`` budget.

    Args:
        checkpoint: Warm-up checkpoint holding the discriminator.
        discriminator: Its config (``in_channels`` = number of classes).
        level: Its level in the checkpoint (``discriminators.<level>.``).
        source_label: Domain label of the source in the warm-up (0: the
            discriminator's sigmoid is the probability of the *target*).
        made_by: Command that writes ``checkpoint`` (for the error message).
    """
    inputs = ('probs', )

    def __init__(self, checkpoint: str, discriminator: dict, level: str = 'main',
                 source_label: int = 0, made_by: Optional[str] = None) -> None:
        from mmengine.registry import DefaultScope

        from mmada.registry import MODELS
        if source_label not in (0, 1):
            raise ValueError(f'source_label must be 0 or 1, got {source_label}')
        with DefaultScope.overwrite_default_scope('mmada'):
            self.discriminator = MODELS.build(discriminator).eval()
        state = _discriminator_state(checkpoint, f'discriminators.{level}.', made_by)
        try:
            self.discriminator.load_state_dict(state)
        except RuntimeError as err:
            raise UserFacingError(f'the discriminator config does not match {checkpoint} '
                                  f'(level {level}): {err}') from err
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        self.source_label = int(source_label)

    @torch.no_grad()
    def source_probability(self, probs: Tensor) -> Tensor:
        """``D``: mean probability over the discriminator map that the image is source."""
        self.discriminator.to(probs.device)
        p = torch.sigmoid(self.discriminator(probs[None].float())).mean()
        return p if self.source_label == 1 else 1. - p

    def image_score(self, probs: Tensor) -> Tensor:
        """() ``E_adv`` of one image."""
        return adversarial_odds(self.source_probability(probs))

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """A constant map of the image's ``E_adv``.

        Args:
            probs: (C, H, W) softmax.
            ctx: Per-image context (unused).

        Returns:
            Tensor: (H, W) scores.
        """
        return self.image_score(probs).expand(probs.shape[1:]).contiguous()


@SCORERS.register_module()
class AADAImageScorer(AdversarialImageScorer):
    """Table 4's AADA selection (MADAv2 Eq. 18): ``E_ent * E_adv``.

    Every pixel scores its normalised entropy times the image's ``E_adv``;
    with ``ImageUnit(reduce='sum')`` an image scores exactly Eq. 16 x Eq. 17.
    """

    def __call__(self, probs: Tensor, ctx: ImageContext) -> Tensor:
        """Pixel entropy / log C, times the image's odds against the source."""
        return F.pixel_entropy(probs, normalize=True) * self.image_score(probs)
