"""ADA-MCU's multi-level contrastive units with DCCM weights, as one loss.

The math is in :mod:`mmada.models.losses.contrastive`; this module picks the
pixels, owns the projection head and the DCCM buffer, and sums the levels.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_rank, get_world_size
from torch import Tensor, nn

from mmada.registry import MODELS
from .base import BaseDomainLoss
from .contrastive import (class_centres, confusion_counts, confusion_rates,
                          dccm_update, gather_points, sample_indices,
                          weighted_info_nce)

LEVELS = ('intra_image', 'cross_image', 'cross_domain')
DCCM_FORMS = ('rate', 'one_plus_rate')
#: Per image: flat indices (label grid) of anchors and samples, their labels,
#: which samples carry a ground-truth label, which feed the class centres.
ImagePoints = Dict[str, Tensor]


def projection_head(in_channels: int, channels: int, hidden_channels: int) -> nn.Module:
    """1x1 conv - BN - ReLU - 1x1 conv (the pixel-contrast projection head of
    Wang et al., "Exploring Cross-Image Pixel Contrast for Semantic
    Segmentation", ICCV 2021, which ADA-MCU cites as [25])."""
    return nn.Sequential(
        nn.Conv2d(in_channels, hidden_channels, 1), nn.BatchNorm2d(hidden_channels),
        nn.ReLU(inplace=True), nn.Conv2d(hidden_channels, channels, 1))


@MODELS.register_module()
class MultiLevelContrastiveLoss(BaseDomainLoss):
    """ADA-MCU's multi-level contrastive units (Sec. III-C, III-D, Eqs. 7-11).

    Per domain and image (Sec. III-C-1):

    * **anchors**: labelled pixels the model gets wrong (``pred != gt``); on
      the domains of ``anchor_group_domains`` (the target) only those of the
      high-uncertainty group (0) when the domain has an ``uncertainty_group``
      map (online acquisition). The source takes every misclassified pixel,
      as the paper says; a target labelled by rounds (no group map) takes
      every misclassified labelled pixel.
    * **samples** (positives and negatives, by label): the labelled pixels,
      plus on the target the pseudo-labelled ones (``pseudo_sem_seg``).
    * **class centres** (c2c): mean embedding of the samples of each class
      from the low-uncertainty group (2); without a group map, of the
      correctly predicted samples (the confident ones). Class-wise anchors
      are the mean embeddings of each class's anchors.

    Levels (``levels``): ``intra_image`` (samples of the anchor's image,
    the anchor's own pixel excluded), ``cross_image`` (of another image of
    the same domain, drawn at random; needs two images per domain) and
    ``cross_domain`` (of an image of the other domain, both directions).
    Each level adds the p2p loss (Eqs. 9-10, mean over anchors with a
    positive) and, with ``use_c2c``, the c2c loss (Eq. 11, mean over
    class-wise anchors with a positive centre); the result is the sum over
    levels, ``L_con`` of the paper. Its terms (``{level}.p2p``,
    ``{level}.c2c``, unweighted) are :attr:`log_parts`, logged as
    ``mcu.{level}.p2p`` etc. next to ``loss_mcu`` (= ``loss_weight`` times
    their sum).

    Choices the paper leaves open (each an argument):

    * Resolution: anchors and samples are drawn at *label* resolution (so
      every sparse acquired label counts; nearest-downsampling labels to 1/8
      would keep only the labels on the stride grid) and the decoder
      features are read there by bilinear interpolation, as the logits are
      upsampled for the cross-entropy (:func:`gather_points`); the
      projection head then runs on those points only, so the cost is bounded
      by ``anchors_per_image + samples_per_image`` per image, not by the
      image size. This equals upsampling the features and projecting every
      pixel, except that the head's BatchNorm sees the sampled points.
    * ``anchors_per_image`` / ``samples_per_image``: uniform draws without
      repetition, from a generator seeded by ``seed``, the step counter
      (a buffer, so ``--resume`` continues the same draws) and the rank.
    * DCCM (Eqs. 7-8): ``R`` from every labelled pixel of the iteration (both
      domains; ground truth only, not pseudo labels, which agree with the
      prediction by construction), summed over ranks, EMA with ``beta`` on
      the rows of the classes seen; W starts as the identity (no confusion
      observed) and is updated before the losses (Alg. 1, lines 14-15).
      ``dccm_form='rate'`` uses ``w(u, v) = W[u, v]`` as Eq. 10 writes it
      (the positive term by ``W[u, u]``, the share of ``u`` predicted
      correctly); ``'one_plus_rate'`` uses ``1 + W[u, v]`` for ``v != u``
      and 1 for positives (plain InfoNCE whose confused pairs are
      sharpened). ``use_dccm=False``: every ``w`` is 1.

    Args:
        in_channels: Channels of ``decoder_feats`` (DeepLab-v2 R101: 2048).
        num_classes: C (size of DCCM).
        levels: Subset of ``('intra_image', 'cross_image', 'cross_domain')``.
        use_c2c: Add the class-centre loss (Table VI: p2p vs p2p + c2c).
        use_dccm: Weight the logits by DCCM (Table V: Full Model).
        dccm_form: ``'rate'`` or ``'one_plus_rate'`` (see above).
        beta: EMA momentum of DCCM (Eq. 8).
        temperature: lambda of Eq. 10.
        channels: Embedding size of the projection head (256).
        hidden_channels: Its hidden width; ``None`` = ``in_channels`` (the
            pixel-contrast design).
        anchor_group_domains: Domains whose anchors come from the
            high-uncertainty group only (when it is given).
        anchors_per_image: Most anchors drawn per image.
        samples_per_image: Most positive/negative samples drawn per image.
        seed: Base seed of the draws.
        ignore_index: Unlabelled value of the label maps.
        align_corners: Of the bilinear reads (as the decode head's).
        domain: ``'both'``.
        loss_weight: Weight of ``L_con`` in the total objective.
        inputs: Segmentor outputs (default: ``decoder_feats``,
            ``seg_logits``, ``gt_sem_seg``, ``uncertainty_group``,
            ``pseudo_sem_seg``; the last two may be ``None``).
        loss_name: Log key.
    """
    default_inputs = ('decoder_feats', 'seg_logits', 'gt_sem_seg', 'uncertainty_group',
                      'pseudo_sem_seg')
    optional_inputs = ('uncertainty_group', 'pseudo_sem_seg')
    domains = ('both', )

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 levels: Sequence[str] = LEVELS,
                 use_c2c: bool = True,
                 use_dccm: bool = True,
                 dccm_form: str = 'rate',
                 beta: float = 0.99,
                 temperature: float = 0.1,
                 channels: int = 256,
                 hidden_channels: Optional[int] = None,
                 anchor_group_domains: Sequence[str] = ('target', ),
                 anchors_per_image: int = 100,
                 samples_per_image: int = 1024,
                 seed: int = 0,
                 ignore_index: int = 255,
                 align_corners: bool = False,
                 domain: str = 'both',
                 loss_weight: float = 0.1,
                 inputs: Optional[Sequence[str]] = None,
                 loss_name: str = 'loss_mcu') -> None:
        super().__init__(domain, loss_weight, inputs, loss_name)
        name = type(self).__name__
        levels = tuple(levels)
        if not levels or set(levels) - set(LEVELS) or len(set(levels)) != len(levels):
            raise ValueError(f'{name}: levels must be distinct names among {LEVELS}, '
                             f'got {levels}')
        if dccm_form not in DCCM_FORMS:
            raise ValueError(f'{name}: dccm_form must be one of {DCCM_FORMS}, '
                             f'got {dccm_form!r}')
        if not 0 <= beta < 1:
            raise ValueError(f'{name}: beta must be in [0, 1), got {beta}')
        if temperature <= 0:
            raise ValueError(f'{name}: temperature must be > 0, got {temperature}')
        if anchors_per_image < 1 or samples_per_image < 1:
            raise ValueError(f'{name}: anchors_per_image and samples_per_image must be '
                             f'>= 1, got {anchors_per_image} and {samples_per_image}')
        required = {'decoder_feats', 'seg_logits', 'gt_sem_seg'} - set(self.inputs)
        if required:
            raise ValueError(f'{name}: inputs must include {sorted(required)}')
        self.levels, self.use_c2c, self.use_dccm = levels, use_c2c, use_dccm
        self.dccm_form, self.beta, self.temperature = dccm_form, float(beta), temperature
        self.num_classes, self.in_channels = num_classes, in_channels
        self.anchor_group_domains = tuple(anchor_group_domains)
        self.anchors_per_image, self.samples_per_image = anchors_per_image, samples_per_image
        self.seed, self.ignore_index, self.align_corners = seed, ignore_index, align_corners
        self.projector = projection_head(in_channels, channels, hidden_channels or in_channels)
        # Training state, in the checkpoint (model state_dict) and back on --resume.
        self.register_buffer('dccm', torch.eye(num_classes))
        self.register_buffer('num_steps', torch.zeros((), dtype=torch.long))

    # ---- checks and state -------------------------------------------------------

    def check_batch_size(self, images_per_domain: Dict[str, int]) -> None:
        """Refuse a batch the configured levels cannot use.

        Args:
            images_per_domain: Images per domain in a training batch.

        Called by ``TrainBatchCheckHook`` before training with the train
        dataloader's batch, and again on every batch the loss receives.

        Raises:
            ValueError: No two-domain batch, or ``cross_image`` with fewer
                than two images of a domain.
        """
        super().check_batch_size(images_per_domain)
        if 'cross_image' not in self.levels:
            return
        for domain, num in images_per_domain.items():
            if num < 2:
                raise ValueError(
                    f"{type(self).__name__}: level 'cross_image' pairs each image with "
                    f'another image of its domain, but the {domain} batch holds {num} '
                    'image(s); set train_dataloader.batch_size >= 2 (images per domain) '
                    "or drop 'cross_image' from levels.")

    def check_outputs(self, domains: Dict[str, dict]) -> None:
        """Refuse outputs of another model than the one configured.

        Raises:
            ValueError: ``decoder_feats`` without ``in_channels`` channels or
                ``seg_logits`` without ``num_classes`` classes.
        """
        for domain, out in domains.items():
            channels, classes = out['decoder_feats'].shape[1], out['seg_logits'].shape[1]
            if channels != self.in_channels or classes != self.num_classes:
                raise ValueError(
                    f'{type(self).__name__}: the {domain} decoder_feats have {channels} '
                    f'channels and seg_logits {classes} classes, but the loss is configured '
                    f'with in_channels={self.in_channels}, num_classes={self.num_classes}; '
                    'set them to the model (e.g. mcu_loss_v3plus / mcu_loss_tiny in '
                    'configs/_base_/methods/ada_mcu_contrastive.py).')

    def generator(self) -> torch.Generator:
        """The draws of this step: seeded by ``seed``, the step and the rank."""
        seed = (self.seed * 1_000_003 + int(self.num_steps)) * 1009 + get_rank()
        return torch.Generator().manual_seed(seed % (2**63))

    def pair_weights(self) -> Optional[Tensor]:
        """The (C, C) ``w(u, v)`` of Eq. 10, or ``None`` (all 1) without DCCM."""
        if not self.use_dccm:
            return None
        weights = self.dccm.detach()
        if self.dccm_form == 'one_plus_rate':
            eye = torch.eye(self.num_classes, dtype=torch.bool, device=weights.device)
            weights = torch.where(eye, torch.ones_like(weights), 1 + weights)
        return weights

    @torch.no_grad()
    def update_dccm(self, counts: Tensor) -> None:
        """Eqs. 7-8 from this iteration's (C, C) confusion counts, all ranks."""
        if get_world_size() > 1:
            all_reduce(counts)
        rates, seen = confusion_rates(counts)
        self.dccm.copy_(dccm_update(self.dccm, rates.to(self.dccm.device), seen, self.beta))

    # ---- picking pixels ---------------------------------------------------------

    def _image_points(self, labels: Tensor, gt: Tensor, pred: Tensor,
                      group: Optional[Tensor], high_only: bool,
                      gen: torch.Generator) -> ImagePoints:
        """Anchor and sample pixels of one image (flat indices, label grid)."""
        labelled = gt != self.ignore_index
        wrong = labelled & (pred != gt)
        if group is not None and high_only:
            wrong &= group == 0
        anchors = sample_indices(wrong, self.anchors_per_image, gen)
        samples = sample_indices(labels != self.ignore_index, self.samples_per_image, gen)
        flat_labels, flat_pred = labels.reshape(-1), pred.reshape(-1)
        if group is not None:
            centre = group.reshape(-1)[samples] == 2
        else:
            centre = flat_pred[samples] == flat_labels[samples]
        return dict(anchors=anchors, anchor_labels=flat_labels[anchors], samples=samples,
                    sample_labels=flat_labels[samples], centre=centre)

    def _domain_points(self, domain: str, outputs: dict, gen: torch.Generator
                       ) -> Tuple[List[ImagePoints], Tensor]:
        """Points of every image of a domain and its confusion counts."""
        gt = outputs['gt_sem_seg']
        gt = gt[:, 0] if gt.dim() == 4 else gt
        pseudo, group = outputs.get('pseudo_sem_seg'), outputs.get('uncertainty_group')
        labels = gt if pseudo is None else torch.where(gt != self.ignore_index, gt, pseudo)
        with torch.no_grad():
            pred = F.interpolate(outputs['seg_logits'].detach(), size=gt.shape[-2:],
                                 mode='bilinear', align_corners=self.align_corners)
            pred = pred.max(dim=1).indices  # = argmax, ~4x faster on CPU (NCHW)
        counts = confusion_counts(pred, gt, self.num_classes, self.ignore_index)
        points = [self._image_points(labels[b], gt[b], pred[b],
                                     None if group is None else group[b],
                                     domain in self.anchor_group_domains, gen)
                  for b in range(gt.shape[0])]
        return points, counts

    def _embed(self, points: Dict[str, List[ImagePoints]], feats: Dict[str, Tensor],
               size: Dict[str, Tuple[int, int]]) -> None:
        """Projected, L2-normalised embeddings of every point (one head pass)."""
        chunks, owners = [], []
        for domain, images in points.items():
            for b, pts in enumerate(images):
                idx = torch.cat([pts['anchors'], pts['samples']])
                chunks.append(gather_points(feats[domain][b], idx, size[domain],
                                            self.align_corners))
                owners.append(pts)
        flat = torch.cat(chunks)  # (N, D)
        emb = self.projector(flat.t()[None, :, :, None])[0, :, :, 0].t()
        emb = F.normalize(emb, dim=1)
        for pts, part in zip(owners, emb.split([c.shape[0] for c in chunks])):
            num_anchors = pts['anchors'].numel()
            pts['anchor_emb'], pts['sample_emb'] = part[:num_anchors], part[num_anchors:]

    # ---- the units --------------------------------------------------------------

    def _pairs(self, sizes: Dict[str, int], gen: torch.Generator
               ) -> Dict[str, List[Tuple[str, int, str, int]]]:
        """(anchor domain, image, sample domain, image) per level."""
        pairs = {level: [] for level in self.levels}
        other = dict(source='target', target='source')
        for domain, num in sizes.items():
            for b in range(num):
                if 'intra_image' in pairs:
                    pairs['intra_image'].append((domain, b, domain, b))
                if 'cross_image' in pairs:
                    j = (b + 1 + int(torch.randint(num - 1, (), generator=gen))) % num
                    pairs['cross_image'].append((domain, b, domain, j))
                if 'cross_domain' in pairs:
                    j = int(torch.randint(sizes[other[domain]], (), generator=gen))
                    pairs['cross_domain'].append((domain, b, other[domain], j))
        return pairs

    def _unit_losses(self, anchor: ImagePoints, sample: ImagePoints, same_image: bool,
                     weights: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """p2p and c2c per-anchor losses and validity of one contrastive unit."""
        exclude = None
        if same_image:
            exclude = anchor['anchors'][:, None] == sample['samples'][None, :]
        p2p, p2p_ok = weighted_info_nce(anchor['anchor_emb'], anchor['anchor_labels'],
                                        sample['sample_emb'], sample['sample_labels'],
                                        self.temperature, weights, exclude)
        c2c = c2c_ok = p2p.new_zeros(0)
        centre = sample['centre']
        if self.use_c2c and centre.any():
            a_c, a_lab = class_centres(anchor['anchor_emb'], anchor['anchor_labels'],
                                       self.num_classes)
            s_c, s_lab = class_centres(sample['sample_emb'][centre],
                                       sample['sample_labels'][centre], self.num_classes)
            c2c, c2c_ok = weighted_info_nce(a_c, a_lab, s_c, s_lab, self.temperature,
                                            weights)
        return p2p, p2p_ok, c2c, c2c_ok

    @staticmethod
    def _mean(values: List[Tensor], valid: List[Tensor], zero: Tensor) -> Tensor:
        values, valid = torch.cat(values), torch.cat(valid).bool()
        return values[valid].mean() if valid.any() else zero

    def level_losses(self, points: Dict[str, List[ImagePoints]],
                     pairs: Dict[str, List[Tuple[str, int, str, int]]],
                     zero: Tensor) -> Dict[str, Tensor]:
        """``{level}.p2p`` and ``{level}.c2c`` means (anchors with a positive)."""
        weights, out = self.pair_weights(), {}
        for level, level_pairs in pairs.items():
            parts = [[], [], [], []]
            for da, a, ds, s in level_pairs:
                anchor, sample = points[da][a], points[ds][s]
                if anchor['anchors'].numel() == 0 or sample['samples'].numel() == 0:
                    continue
                unit = self._unit_losses(anchor, sample, (da, a) == (ds, s), weights)
                for part, value in zip(parts, unit):
                    part.append(value)
            if not parts[0]:
                out[f'{level}.p2p'] = out[f'{level}.c2c'] = zero
                continue
            out[f'{level}.p2p'] = self._mean(parts[0], parts[1], zero)
            out[f'{level}.c2c'] = self._mean(parts[2], parts[3], zero) if parts[2] else zero
        return out

    def forward(self, source: dict, target: dict) -> Tensor:
        """``L_con``: the sum over levels of p2p (+ c2c) (Eqs. 9-11).

        Args:
            source: Source outputs (``decoder_feats``, ``seg_logits``,
                ``gt_sem_seg``, optional online outputs).
            target: Target outputs, the same names.

        Returns:
            Tensor: Scalar unweighted loss; 0 (attached to the graph) when no
            image has an anchor.
        """
        domains = dict(source=source, target=target)
        self.check_outputs(domains)
        sizes = {d: out['gt_sem_seg'].shape[0] for d, out in domains.items()}
        self.check_batch_size(sizes)
        gen = self.generator()
        points, counts = {}, 0
        for d, out in domains.items():
            points[d], domain_counts = self._domain_points(d, out, gen)
            counts = counts + domain_counts
        if self.training and self.use_dccm:
            self.update_dccm(counts.to(self.dccm.device))
        if self.training:
            self.num_steps += 1
        zero = sum(out['decoder_feats'].sum() for out in domains.values()) * 0.
        if not any(p['anchors'].numel() for images in points.values() for p in images):
            losses = {k: zero for k in self.part_names()}
        else:
            self._embed(points, {d: out['decoder_feats'] for d, out in domains.items()},
                        {d: tuple(out['gt_sem_seg'].shape[-2:]) for d, out in domains.items()})
            losses = self.level_losses(points, self._pairs(sizes, gen), zero)
            losses = {k: losses[k] for k in self.part_names()}
        self.log_parts = {k: v.detach() for k, v in losses.items()}
        return sum(losses.values())

    def part_names(self) -> Tuple[str, ...]:
        """The terms of ``L_con``: ``{level}.p2p`` (and ``{level}.c2c``) per level."""
        kinds = ('p2p', 'c2c') if self.use_c2c else ('p2p', )
        return tuple(f'{level}.{kind}' for level in self.levels for kind in kinds)
