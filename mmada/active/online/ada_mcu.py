"""ADA-MCU's online acquisition (Zhang et al., Sec. III-B, Alg. 1)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmseg.models.utils import resize
from torch import Tensor

from mmada.active.functional.mcu import (check_thresholds, equal_count_sample,
                                         mcu_uncertainty_from_logits, uncertainty_groups)
from mmada.registry import ONLINE_ACQUISITIONS
from .base import (ORIGIN_OFFSET, BaseOnlineAcquisition, OnlineSettingsError, budget_pixels,
                   check_online_budget, hidden_field)
from .oracle import HiddenFieldOracle
from .schedule import AdaptiveSamplingSchedule


@ONLINE_ACQUISITIONS.register_module()
class AdaMCUOnlineAcquisition(BaseOnlineAcquisition):
    """ADA-MCU's active pixel annotation with adaptive sampling (Zhang et al.).

    Per target batch: the uncertainty ``S`` (Eq. 1-3) of every pixel from the
    main and auxiliary heads, its group (high ``S >= pi_high``, low
    ``S < pi_low``, medium between), and per image the same number of random
    unlabelled pixels from each group of the current phase of Algorithm 1
    (:class:`AdaptiveSamplingSchedule`): ``k`` is set by the phase's first
    labelled group (G_h in phase 1: half of it, footnote 3; G_m in phase 2),
    the other groups give up to ``k``; sampled G_h / G_m pixels get ground
    truth from the online oracle, sampled G_l pixels the current prediction
    as pseudo labels. ``pi_high`` decays by ``decay`` per target epoch while
    fewer than half the budget is labelled.

    Outputs filled for the target (see
    :data:`mmada.models.losses.SEGMENTOR_OUTPUTS`): ``gt_sem_seg`` and
    ``labelled_mask`` = every label acquired so far (store + pending + this
    iteration's), ``uncertainty``, ``uncertainty_group`` (every pixel),
    ``pseudo_sem_seg`` (sampled G_l pixels, 255 elsewhere); for the source
    (``source_groups=True``) ``uncertainty`` and ``uncertainty_group``.

    Budget and exactness: labels are counted at the label store's (original)
    resolution; a pixel is never acquired twice (store, pending, other ranks
    of the same iteration); an iteration's acquisitions are taken in rank,
    image and group order until the phase's cap, so ranks never over-spend.
    Random draws depend on (seed, iteration, rank, image), not on global RNG.

    Args:
        budget: ``dict(type='ratio', value=0.05)`` (share of all target
            pixels) or ``dict(type='pixels', value=n)``.
        gamma: Weight of the KL term of Eq. 1 (paper: 0.5; 0 = entropy only,
            no auxiliary head needed).
        pi_high: Initial high threshold (Alg. 1: "a large value").
        pi_low: Low threshold.
        decay: ``r`` of Alg. 1 (paper: 0.9).
        decay_every: ``'epoch'`` (target epochs, the paper's text) or
            ``'iter'`` (Alg. 1 read literally: every iteration).
        samples_per_image: Upper bound of the pixels sampled per group and
            image in one iteration; ``None`` samples every pixel of the
            groups (the paper's "AL w/o AS" ablation).
        sample_fraction: Share of the smallest sampled group that is sampled
            (footnote 3: half of G_h).
        label_groups: Per phase, groups labelled with ground truth, see
            :class:`AdaptiveSamplingSchedule`.
        pseudo_labels: Sample G_l for pseudo labels.
        source_groups: Fill ``uncertainty`` / ``uncertainty_group`` of the
            source too (the paper divides both domains into groups).
        seed: Seed of the draws.
    """

    def __init__(self,
                 budget: dict,
                 gamma: float = 0.5,
                 pi_high: float = 1.0,
                 pi_low: float = 0.1,
                 decay: float = 0.9,
                 decay_every: str = 'epoch',
                 samples_per_image: Optional[int] = 1024,
                 sample_fraction: float = 0.5,
                 label_groups: Optional[dict] = None,
                 pseudo_labels: bool = True,
                 source_groups: bool = True,
                 seed: int = 0) -> None:
        super().__init__()
        try:
            self._check_settings(budget, gamma, pi_high, pi_low, decay, decay_every,
                                 samples_per_image, sample_fraction, label_groups)
        except ValueError as err:
            raise OnlineSettingsError(f'{type(self).__name__}: {err}') from None
        self.budget = check_online_budget(budget)
        self.gamma = float(gamma)
        self.schedule_args = dict(pi_high=pi_high, pi_low=pi_low, decay=decay,
                                  label_groups=label_groups)
        # A provisional schedule (budget in pixels unknown until bind()).
        self.schedule = AdaptiveSamplingSchedule(1, **self.schedule_args)
        self.decay_every = decay_every
        self.samples_per_image = samples_per_image
        self.sample_fraction = float(sample_fraction)
        self.pseudo_labels = pseudo_labels
        self.source_groups = source_groups
        self.seed = int(seed)
        self.oracle = HiddenFieldOracle()
        self.images_seen = 0
        self.total: Optional[int] = None

    @staticmethod
    def _check_settings(budget, gamma, pi_high, pi_low, decay, decay_every,
                        samples_per_image, sample_fraction, label_groups) -> None:
        """Raise a ValueError naming the first bad setting."""
        check_online_budget(budget)
        check_thresholds(pi_high, pi_low)
        if gamma < 0:
            raise ValueError(f'gamma must be >= 0, got {gamma}')
        if decay_every not in ('epoch', 'iter'):
            raise ValueError(f"decay_every must be 'epoch' or 'iter', got {decay_every!r}")
        if samples_per_image is not None and (int(samples_per_image) != samples_per_image
                                              or samples_per_image < 1):
            raise ValueError(f'samples_per_image must be a positive integer or None, got '
                             f'{samples_per_image}')
        if not 0 < sample_fraction <= 1:
            raise ValueError(f'sample_fraction must be in (0, 1], got {sample_fraction}')
        AdaptiveSamplingSchedule(1, pi_high, pi_low, decay, label_groups)

    # ------------------------------------------------------------ setup
    def check_segmentor(self, segmentor) -> None:
        """The KL term needs an auxiliary head (Eq. 3)."""
        if self.gamma > 0 and not getattr(segmentor, 'with_auxiliary_head', False):
            raise OnlineSettingsError(
                f'AdaMCUOnlineAcquisition: gamma={self.gamma} weights KL(p_main || p_aux) '
                '(Eq. 3), but the model has no auxiliary_head; add one (e.g. '
                '`auxiliary_head={{_base_.layer3_aux_head}}`) or set gamma=0')

    def check_pool(self, shapes: Sequence[Tuple[int, int]]) -> None:
        """The budget must be at least one pixel and at most the pool."""
        budget_pixels(self.budget, int(sum(h * w for h, w in shapes)))

    def bind(self, store, shapes: Sequence[Tuple[int, int]]) -> None:
        """Attach the store; turn the budget into pixels (``M_e``) of the pool."""
        pool = int(sum(h * w for h, w in shapes))
        self.total = budget_pixels(self.budget, pool)
        state = self.schedule.state_dict()
        self.schedule = AdaptiveSamplingSchedule(self.total, **self.schedule_args)
        self.schedule.load_state_dict(state)
        super().bind(store, shapes)

    def state_dict(self) -> dict:
        """Iteration, images seen, and the schedule (``pi_high``, epochs)."""
        return dict(super().state_dict(), images_seen=self.images_seen,
                    schedule=self.schedule.state_dict())

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`."""
        super().load_state_dict(state)
        self.images_seen = int(state.get('images_seen', 0))
        if 'schedule' in state:
            self.schedule.load_state_dict(state['schedule'])

    # ------------------------------------------------------------- maths
    def scores(self, segmentor, out: dict, size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
        """Uncertainty (Eq. 1-3) and main-head logits at ``size``, detached.

        Args:
            segmentor: The segmentor (heads' ``align_corners``).
            out: Named outputs of one domain.
            size: (H, W) label resolution.

        Returns:
            tuple: (B, H, W) scores and (B, C, H, W) logits.
        """
        align = segmentor.decode_head.align_corners
        logits = resize(out['seg_logits'].detach(), size=size, mode='bilinear',
                        align_corners=align)
        aux = None
        if self.gamma > 0:
            if out.get('aux_logits') is None:
                raise RuntimeError('AdaMCUOnlineAcquisition: no aux_logits (auxiliary head)')
            aux = resize(out['aux_logits'].detach(), size=size, mode='bilinear',
                         align_corners=align)
        return mcu_uncertainty_from_logits(logits, aux, self.gamma, dim=1), logits

    def _generator(self, rank: int, index: int) -> torch.Generator:
        seed = np.random.SeedSequence([self.seed, self.iteration, rank, index])
        g = torch.Generator()
        g.manual_seed(int(seed.generate_state(1)[0]))
        return g

    def _image_state(self, key: str, shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
        """Flat labels and 'acquired' mask of one image: store + pending."""
        size = shape[0] * shape[1]
        if self.store is None:
            labels, acquired = np.full(size, 255, np.uint8), np.zeros(size, bool)
        else:
            state = self.store.read(key, shape)
            labels, acquired = state.labels.reshape(-1).copy(), state.annotated.reshape(-1)
        pixels, values = self.pending.get(key)
        labels[pixels] = values
        acquired[pixels] = True
        return labels, acquired

    # ------------------------------------------------------------ acquire
    def __call__(self, segmentor, outputs: Dict[str, dict], data_samples: Dict[str, list]
                 ) -> None:
        """Acquire on the target batch; fill the online outputs in place."""
        with torch.no_grad():
            if self.source_groups and 'source' in outputs:
                out = outputs['source']
                size = tuple(out['img'].shape[-2:]) if out['gt_sem_seg'] is None else \
                    tuple(out['gt_sem_seg'].shape[-2:])
                score, _ = self.scores(segmentor, out, size)
                out['uncertainty'] = score
                out['uncertainty_group'] = uncertainty_groups(
                    score, self.schedule.pi_high, self.schedule.pi_low)
            if 'target' in outputs:
                self._acquire(segmentor, outputs['target'], data_samples['target'])
        self.iteration += 1

    def _acquire(self, segmentor, out: dict, samples: list) -> None:
        if out['gt_sem_seg'] is None:
            raise RuntimeError('AdaMCUOnlineAcquisition: the target batch has no gt_sem_seg; '
                               'use an OnlineActiveTargetDataset as the target')
        ignore = segmentor.decode_head.ignore_index
        num_classes = segmentor.decode_head.num_classes
        size = tuple(out['gt_sem_seg'].shape[-2:])
        score, logits = self.scores(segmentor, out, size)
        groups = uncertainty_groups(score, self.schedule.pi_high, self.schedule.pi_low)
        label_names = self.schedule.groups_to_label(self.labelled)
        names = label_names + (('low', ) if self.pseudo_labels else ())
        rank, _ = get_dist_info()
        proposals, origins, pseudo = [], [], torch.full_like(groups, ignore)
        for b, sample in enumerate(samples):
            origin = hidden_field(sample, 'origin_index', size, -1, groups.device) - ORIGIN_OFFSET
            answers = self.oracle.read(sample, size, ignore, groups.device)
            key, shape = sample.metainfo['active_key'], tuple(sample.metainfo['ori_shape'][:2])
            _, acquired = self._image_state(key, shape)
            valid = origin >= 0
            taken = torch.from_numpy(acquired).to(origin.device)[origin.clamp_min(0)]
            candidates = valid & ~taken
            picks = equal_count_sample(groups[b], candidates, names, self.samples_per_image,
                                       self.sample_fraction, self._generator(rank, b),
                                       count_groups=label_names[:1] or None)
            positions = torch.cat([picks[n] for n in label_names]) if label_names else \
                torch.zeros(0, dtype=torch.long, device=groups.device)
            ori = origin.reshape(-1)[positions].cpu().numpy()
            ori, first = np.unique(ori, return_index=True)
            order = np.argsort(first)
            values = self.oracle.answer(answers, positions[torch.from_numpy(first[order])],
                                        num_classes, ignore)
            proposals.append((key, shape, ori[order], values))
            origins.append(origin)
            if 'low' in picks and self.pseudo_labels:
                low = picks['low']
                pseudo[b].view(-1)[low] = logits[b].argmax(0).view(-1)[low]
        accepted = self._accept(proposals)
        self._fill_labels(out, samples, origins, accepted[rank], ignore)
        out['uncertainty'] = score
        out['uncertainty_group'] = groups
        out['pseudo_sem_seg'] = pseudo
        self._count_images(sum(len(a) for a in accepted))

    def _accept(self, proposals: List[tuple]) -> List[List[tuple]]:
        """Every rank's proposals, accepted in rank order up to the phase cap.

        Returns:
            list: Per rank, per image ``(key, shape, pixels, labels)`` taken
            (also added to :attr:`pending`, on every rank alike).
        """
        world = get_dist_info()[1]
        gathered = all_gather_object(proposals) if world > 1 else [proposals]
        quota = self.schedule.quota(self.labelled)
        taken_now: Dict[str, np.ndarray] = {}
        result = []
        for rank_props in gathered:
            rank_out = []
            for key, shape, pixels, labels in rank_props:
                seen = np.concatenate([self.pending.get(key)[0], taken_now.get(key, [])])
                keep = ~np.isin(pixels, seen) if len(seen) else np.ones(len(pixels), bool)
                pixels, labels = pixels[keep][:quota], labels[keep][:quota]
                quota -= len(pixels)
                taken_now[key] = np.concatenate([taken_now.get(key, np.zeros(0, np.int64)),
                                                 pixels]).astype(np.int64)
                rank_out.append((key, shape, pixels, labels))
            result.append(rank_out)
        for rank_out in result:
            for key, shape, pixels, labels in rank_out:
                self.pending.add(key, shape, pixels, labels)
        return result

    def _fill_labels(self, out: dict, samples: list, origins: List[Tensor],
                     accepted: List[tuple], ignore: int) -> None:
        """Target ``gt_sem_seg``: every label acquired so far, mapped to the crop."""
        gt = torch.full_like(out['gt_sem_seg'], ignore)
        for b, (sample, origin) in enumerate(zip(samples, origins)):
            key, shape = accepted[b][0], accepted[b][1]
            labels, _ = self._image_state(key, shape)
            table = torch.from_numpy(labels.astype(np.int64)).to(gt.device)
            valid = origin >= 0
            gt[b][valid] = table[origin[valid]]
            self.oracle.forget(sample)
            if 'gt_sem_seg' in sample:  # the samples say the same as the outputs
                h, w = sample.gt_sem_seg.shape
                sample.gt_sem_seg.data = gt[b, :h, :w][None].clone()
        out['gt_sem_seg'] = gt
        out['labelled_mask'] = gt != ignore

    def _count_images(self, num: int) -> None:
        """Target epochs (for the pi_high decay of Alg. 1)."""
        self.images_seen += num
        if self.decay_every == 'iter':
            self.schedule.end_epoch(self.labelled)
            return
        if self.num_images:
            while self.images_seen >= (self.schedule.epochs + 1) * self.num_images:
                self.schedule.end_epoch(self.labelled)
