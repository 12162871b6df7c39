"""Output-space adversarial alignment (AdaptSegNet, AdvEnt) and MinEnt.

Pure tensor functions for the math, and registered modules chosen by config:

* an *alignment* (:class:`SoftmaxAlignment`, :class:`EntropyAlignment`)
  turns a domain's logits into the map its discriminator sees, per level,
  and gives the segmenter's and the discriminators' losses;
* :class:`EntropyMinLoss` (MinEnt) is an ordinary extra loss of
  :class:`~mmada.models.segmentors.TwoDomainSegmentor`.

A new alignment is one subclass of :class:`BaseAlignment` overriding
:meth:`BaseAlignment.transform`.
"""
import math
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmada.registry import MODELS
from .base import BaseDomainLoss

#: Alignment level -> the segmentor output it aligns.
LEVEL_OUTPUTS = dict(main='seg_logits', aux='aux_logits')
_EPS = 1e-30  # as the authors' prob_2_entropy / entropy_loss


def self_information_map(probs: Tensor) -> Tensor:
    """Weighted self-information ``-p log p / log C`` per class (AdvEnt Eq. 7).

    Vu et al., "ADVENT: Adversarial Entropy Minimization for Domain
    Adaptation in Semantic Segmentation", CVPR 2019, Eq. (7): the
    discriminator's input ``I_x = -P_x log P_x`` (normalised by ``log C`` as
    in the authors' code, so that the channel sum is the normalised entropy).

    Args:
        probs: (B, C, H, W) class probabilities.

    Returns:
        Tensor: (B, C, H, W) map, each channel in ``[0, 1/(e log C)]``.
    """
    return -probs * torch.log(probs + _EPS) / math.log(probs.shape[1])


def normalised_entropy(probs: Tensor) -> Tensor:
    """Entropy per pixel divided by ``log C`` (in ``[0, 1]``), (B, H, W)."""
    return self_information_map(probs).sum(1)


def entropy_min_loss(probs: Tensor) -> Tensor:
    """MinEnt loss: mean normalised entropy of the pixels (AdvEnt Eq. 3)."""
    return normalised_entropy(probs).mean()


def domain_bce(logits: Tensor, label: float) -> Tensor:
    """Binary cross-entropy of discriminator logits against one domain label.

    Args:
        logits: Discriminator output of any shape.
        label: The domain label every location should have (0 or 1).

    Returns:
        Tensor: The mean BCE-with-logits over all locations.
    """
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(label)))


def upsampled_probs(logits: Tensor, size, align_corners: bool = True) -> Tensor:
    """Softmax of logits bilinearly upsampled to ``size`` (the input size)."""
    if tuple(logits.shape[2:]) != tuple(size):
        logits = F.interpolate(logits, size=tuple(size), mode='bilinear',
                               align_corners=align_corners)
    return logits.softmax(1)


class BaseAlignment(nn.Module):
    """Output-space adversarial alignment over one or more levels.

    The segmenter is trained to make its *target* maps look like source maps
    to the discriminators (BCE of D on target maps against the source label);
    each discriminator is trained to tell them apart (the mean of its BCE on
    source maps against the source label and on target maps against the
    target label). Tsai et al., CVPR 2018, Eq. (3)-(5); Vu et al., CVPR 2019,
    Eq. (8)-(9).

    Args:
        levels: Weight of the segmenter's adversarial loss per level:
            ``main`` aligns the decode head's output, ``aux`` the first
            auxiliary head's (DeepLab-v2's layer3 classifier).
        source_label: Domain label of the source (0 in the authors' code).
        target_label: Domain label of the target (1).
        align_corners: Of the bilinear upsampling of the logits to the input
            size (``True`` as ``nn.Upsample(align_corners=True)`` in the
            authors' code).
    """

    def __init__(self,
                 levels: Optional[Dict[str, float]] = None,
                 source_label: float = 0.0,
                 target_label: float = 1.0,
                 align_corners: bool = True) -> None:
        super().__init__()
        levels = dict(main=0.001) if levels is None else dict(levels)
        unknown = [lv for lv in levels if lv not in LEVEL_OUTPUTS]
        if not levels or unknown:
            raise ValueError(f'{type(self).__name__}: levels must be among '
                             f'{sorted(LEVEL_OUTPUTS)}, got {sorted(levels)}')
        if source_label == target_label:
            raise ValueError(f'{type(self).__name__}: source_label and target_label '
                             f'must differ, both are {source_label}')
        self.levels = {lv: float(w) for lv, w in levels.items()}
        self.source_label = float(source_label)
        self.target_label = float(target_label)
        self.align_corners = align_corners

    def transform(self, probs: Tensor) -> Tensor:
        """The discriminator's input computed from (B, C, H, W) probabilities."""
        raise NotImplementedError

    def maps(self, outputs: dict) -> Dict[str, Tensor]:
        """Discriminator inputs of one domain, per level.

        Args:
            outputs: A domain's outputs from
                :meth:`~mmada.models.segmentors.TwoDomainSegmentor.forward_domains`
                (``img`` gives the input size).

        Returns:
            dict: (B, C, H, W) map per level, at the input resolution.
        """
        size = outputs['img'].shape[2:]
        return {lv: self.transform(upsampled_probs(outputs[LEVEL_OUTPUTS[lv]], size,
                                                   self.align_corners))
                for lv in self.levels}

    def segmentor_losses(self, target_logits: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Weighted adversarial losses of the segmenter, ``loss_adv_{level}``.

        Args:
            target_logits: Discriminator logits on the target maps, per level.
        """
        return {f'loss_adv_{lv}': self.levels[lv] * domain_bce(d, self.source_label)
                for lv, d in target_logits.items()}

    def discriminator_losses(self, source_logits: Dict[str, Tensor],
                             target_logits: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Each discriminator's loss, ``loss_d_{level}``: mean of its two terms."""
        return {f'loss_d_{lv}': 0.5 * (domain_bce(source_logits[lv], self.source_label) +
                                       domain_bce(target_logits[lv], self.target_label))
                for lv in self.levels}


@MODELS.register_module()
class SoftmaxAlignment(BaseAlignment):
    """AdaptSegNet: the discriminators see the softmax output (Tsai et al.)."""

    def transform(self, probs: Tensor) -> Tensor:
        return probs


@MODELS.register_module()
class EntropyAlignment(BaseAlignment):
    """AdvEnt: the discriminators see the weighted self-information map."""

    def transform(self, probs: Tensor) -> Tensor:
        return self_information_map(probs)


@MODELS.register_module()
class EntropyMinLoss(BaseDomainLoss):
    """MinEnt (AdvEnt Sec. 3.1, Eq. 3): mean normalised entropy as a loss.

    The logits are upsampled to the input size and soft-maxed; the loss is
    the mean over pixels of ``-sum_c p log p / log C``. ``inputs`` chooses the
    level: ``('seg_logits', 'img')`` (default) or ``('aux_logits', 'img')``.

    Args:
        align_corners: Of the upsampling (``True`` as in the authors' code).
        **kwargs: Arguments of :class:`BaseDomainLoss` (``domain`` defaults
            to ``'target'``, ``loss_name`` to ``'loss_ent'``).
    """
    default_inputs = ('seg_logits', 'img')

    def __init__(self, align_corners: bool = True, **kwargs) -> None:
        kwargs.setdefault('loss_name', 'loss_ent')
        super().__init__(**kwargs)
        levels = [n for n in self.inputs if n in LEVEL_OUTPUTS.values()]
        if len(levels) != 1 or 'img' not in self.inputs:
            raise ValueError(f"EntropyMinLoss: inputs must be one of 'seg_logits' or "
                             f"'aux_logits' plus 'img', got {self.inputs}")
        self.level_input = levels[0]
        self.align_corners = align_corners

    def forward(self, img: Tensor, **logits: Tensor) -> Tensor:
        probs = upsampled_probs(logits[self.level_input], img.shape[2:], self.align_corners)
        return entropy_min_loss(probs)
