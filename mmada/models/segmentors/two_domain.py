"""Segmentor trained on a labelled source and a (partially labelled) target."""
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import SampleList
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmada.registry import MODELS
from ..batch_steps import build_batch_steps, stack_weights
from ..losses.base import ONLINE_OUTPUTS, SEGMENTOR_OUTPUTS
from ..utils import decode_head_features
from .checkpoint_keys import load_wrapped_segmentor
from .domain_losses import DomainLossesMixin, DomainOutputs, _check_avg_non_ignore

DomainInputs = Union[Tensor, Dict[str, Tensor]]
#: Values of ``TwoDomainSegmentor(domain_forward=...)``.
DOMAIN_FORWARDS = ('joint', 'per_domain')


def _batch_independent(modules: Sequence[nn.Module]) -> bool:
    """Whether running ``modules`` on a concatenated batch equals separate runs.

    False when a BatchNorm uses batch statistics (training mode) or a dropout
    is active (its random mask would be drawn differently).
    """
    for module in modules:
        for m in module.modules():
            if m.training and (isinstance(m, _BatchNorm) or
                               isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0):
                return False
    return True


@MODELS.register_module()
class TwoDomainSegmentor(DomainLossesMixin, EncoderDecoder):
    """Encoder-decoder trained on two domains in one ``loss()`` call.

    All two-domain logic lives in :meth:`loss` (not ``train_step``) so that it
    also runs under MMEngine's DDP wrapper. It has two halves that a subclass
    or a wrapping model (e.g. :class:`AdversarialSegmentor`) reuses::

        loss(): batch_steps               # teachers, mixers (may add domains)
                forward_domains()         # named outputs per domain
                  _extract_domains()      # backbone, one pass where allowed
                  _forward_heads()        # decode (+ aux) logits, decoder_feats
                  _domain_outputs()       # + labels, labelled mask
                online_acquisition()      # optional: labels acquired in the step
                losses_from_outputs()     # losses from those outputs (DomainLossesMixin)
                  _supervised_losses()    # CE on labelled pixels, per domain
                  _extra_losses()         # configured loss modules per domain
                  _cross_domain_losses()  # loss modules with domain='both'

    ``forward(mode='loss_and_outputs')`` returns both the losses and the
    outputs, so a wrapper can call the segmentor through its DDP ``forward``.

    * Source: cross-entropy of the decode (and auxiliary) heads.
    * Target: the same cross-entropy over *labelled* target pixels only
      (``gt_sem_seg`` is 255 where no label was acquired), averaged over those
      pixels; zero when a batch has none (``avg_non_ignore=True`` is enforced).
    * ``extra_losses``: registered :class:`~mmada.models.losses.BaseDomainLoss`
      modules, each naming its domain (or ``'both'``), the outputs it needs
      and its weight.
    * ``online_acquisition``: a registered
      :class:`~mmada.active.online.BaseOnlineAcquisition` (registry
      ``ONLINE_ACQUISITIONS``) called in training between the two halves, on the
      detached outputs: it acquires labels inside the step (ADA-MCU) and
      fills the target's labels and the online outputs
      (:data:`~mmada.models.losses.ONLINE_OUTPUTS`).

    ``domain_forward`` says whether the domains share batch statistics:

    * ``'joint'``: when both domains have the same input size they share one
      backbone pass, so a BatchNorm in training mode normalises them by the
      statistics of the mixed batch (and updates its running statistics
      once, with those); the heads run once for both domains when they have
      no batch statistics or dropout in use, else once per domain.
    * ``'per_domain'``: every BatchNorm in training mode sees one domain at a
      time, in the batch's domain order (source, then target), as the
      AdvEnt / AdaptSegNet code forwards source and target separately: each
      domain is normalised by its own batch statistics and the running
      statistics are updated once per domain. Modules without batch
      statistics in use (frozen BatchNorm, ``norm_eval=True``) still get one
      pass, which then equals separate ones.

    Args:
        extra_losses: Configs of extra loss modules.
        domain_loss_weights: Weights of each domain's supervised loss, e.g.
            ``dict(source=1.0, target=1.0)``; 0 drops a domain's supervision
            (source-free training uses ``source=0`` or a target-only loader;
            unsupervised adaptation ``target=0``, which also lets the target
            pipeline skip ``LoadAnnotations``).
        default_domain: Domain of a plain (single-tensor) training batch.
        online_acquisition: Config of an online acquisition (see above).
        batch_steps: Configs of :class:`~mmada.models.batch_steps.BaseBatchStep`
            modules (teachers, mixers) run in order on the training batch
            before the forward, in ``loss()`` only; a domain a step adds
            needs its entry in ``domain_loss_weights``.
        domain_forward: ``'joint'`` or ``'per_domain'`` (see above).
        **kwargs: Arguments of :class:`mmseg.models.EncoderDecoder`.
    """

    def __init__(self,
                 extra_losses: Sequence[dict] = (),
                 domain_loss_weights: Optional[Dict[str, float]] = None,
                 default_domain: str = 'source',
                 online_acquisition: Optional[dict] = None,
                 batch_steps: Sequence[dict] = (),
                 domain_forward: str = 'joint',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if domain_forward not in DOMAIN_FORWARDS:
            raise ValueError(f'TwoDomainSegmentor: domain_forward must be one of '
                             f'{DOMAIN_FORWARDS}, got {domain_forward!r}')
        self.domain_forward = domain_forward
        self.extra_losses = nn.ModuleList(MODELS.build(c) for c in extra_losses)
        self.domain_loss_weights = dict(source=1.0, target=1.0)
        self.domain_loss_weights.update(domain_loss_weights or {})
        if default_domain not in self.domain_loss_weights:
            raise ValueError(f'default_domain must be source or target, got '
                             f'{default_domain!r}')
        self.default_domain = default_domain
        _check_avg_non_ignore(self.decode_head, 'TwoDomainSegmentor.decode_head')
        for head in self._aux_heads():
            _check_avg_non_ignore(head, 'TwoDomainSegmentor.auxiliary_head')
        self.requested_outputs: Set[str] = set()
        self.request_outputs(name for m in self.extra_losses for name in m.inputs)
        self.online_acquisition = None
        if online_acquisition is not None:
            from mmada.registry import ONLINE_ACQUISITIONS
            self.online_acquisition = ONLINE_ACQUISITIONS.build(online_acquisition)
            self.online_acquisition.check_segmentor(self)
        self.batch_steps = build_batch_steps(batch_steps, self)
        self._register_load_state_dict_pre_hook(load_wrapped_segmentor, with_module=True)

    def request_outputs(self, names) -> None:
        """Ask :meth:`forward_domains` to compute optional outputs.

        ``decoder_feats`` is computed only when requested (by an extra loss's
        ``inputs`` or a wrapping model); the other outputs always are.

        Args:
            names: Names from :data:`~mmada.models.losses.SEGMENTOR_OUTPUTS`.
        """
        names = set(names)
        unknown = names - set(SEGMENTOR_OUTPUTS)
        if unknown:
            raise ValueError(f'TwoDomainSegmentor: unknown outputs {sorted(unknown)}; '
                             f'available: {SEGMENTOR_OUTPUTS}')
        self.requested_outputs |= names

    def _aux_heads(self) -> List[nn.Module]:
        if not self.with_auxiliary_head:
            return []
        if isinstance(self.auxiliary_head, nn.ModuleList):
            return list(self.auxiliary_head)
        return [self.auxiliary_head]

    # ---- forwarding the domains -------------------------------------------------

    def _as_domains(self, inputs: DomainInputs, data_samples) -> Tuple[dict, dict]:
        """A plain batch becomes a batch of ``default_domain``."""
        if isinstance(inputs, Tensor):
            return {self.default_domain: inputs}, {self.default_domain: data_samples}
        return inputs, data_samples

    def _joint_backbone_pass(self, inputs: Dict[str, Tensor]) -> bool:
        """Whether the domains of ``inputs`` share one backbone (+neck) pass.

        Args:
            inputs: Normalised image batch per domain.

        Returns:
            bool: True for two or more domains of one input size, unless
            ``domain_forward='per_domain'`` and the backbone or neck has
            batch statistics (or dropout) in use.
        """
        if len(inputs) == 1 or len({t.shape[1:] for t in inputs.values()}) > 1:
            return False
        if self.domain_forward == 'joint':
            return True
        return _batch_independent([self.backbone] + ([self.neck] if self.with_neck else []))

    def _extract_domains(self, inputs: Dict[str, Tensor]
                         ) -> Tuple[Dict[str, List[Tensor]], Optional[List[Tensor]]]:
        """Backbone (+neck) features per domain, one pass where allowed.

        Args:
            inputs: Normalised image batch per domain.

        Returns:
            tuple: Feature maps per domain, and the features of the joint pass
            (domains concatenated in ``inputs`` order) or ``None``.
        """
        domains = list(inputs)
        if not self._joint_backbone_pass(inputs):
            return {d: self.extract_feat(inputs[d]) for d in domains}, None
        sizes = [inputs[d].shape[0] for d in domains]
        joint = self.extract_feat(torch.cat([inputs[d] for d in domains]))
        split = [f.split(sizes) for f in joint]
        return {d: [s[i] for s in split] for i, d in enumerate(domains)}, joint

    def _forward_heads(self, feats: List[Tensor]) -> DomainOutputs:
        """Decode and auxiliary logits (and decoder features when requested)."""
        if 'decoder_feats' in self.requested_outputs:
            seg_logits, decoder_feats = decode_head_features(self.decode_head, feats)
        else:
            seg_logits, decoder_feats = self.decode_head(feats), None
        return dict(seg_logits=seg_logits, decoder_feats=decoder_feats,
                    aux_logits_all=[head(feats) for head in self._aux_heads()])

    def _split_heads(self, heads: DomainOutputs, sizes: List[int]) -> List[DomainOutputs]:
        """Per-domain views of the head outputs of a joint batch."""
        def split(t):
            return t.split(sizes) if t is not None else [None] * len(sizes)
        seg, dec = split(heads['seg_logits']), split(heads['decoder_feats'])
        aux = [split(t) for t in heads['aux_logits_all']]
        return [dict(seg_logits=seg[i], decoder_feats=dec[i],
                     aux_logits_all=[a[i] for a in aux]) for i in range(len(sizes))]

    def _domain_outputs(self, img: Tensor, feats: List[Tensor], heads: DomainOutputs,
                        data_samples: SampleList) -> DomainOutputs:
        """The named outputs of one domain (heads already run)."""
        outputs = dict(img=img, feats=feats, **heads)
        aux = outputs['aux_logits_all']
        outputs['aux_logits'] = aux[0] if aux else None
        labels = None
        if data_samples and all('gt_sem_seg' in s for s in data_samples):
            labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).squeeze(1)
            labels = labels if labels.dtype == torch.long else labels.long()
        outputs['gt_sem_seg'] = labels
        outputs['labelled_mask'] = (None if labels is None else
                                    labels != self.decode_head.ignore_index)
        outputs['seg_weight'] = stack_weights(data_samples)
        outputs.update(dict.fromkeys(ONLINE_OUTPUTS))
        return outputs

    def forward_domains(self, inputs: Dict[str, Tensor],
                        data_samples: Dict[str, SampleList]) -> Dict[str, DomainOutputs]:
        """Run the model on every domain of a batch.

        Args:
            inputs: Normalised image batch per domain.
            data_samples: Data samples per domain.

        Returns:
            dict: Per domain, the outputs of
            :data:`~mmada.models.losses.SEGMENTOR_OUTPUTS` (``None`` where
            the model or the batch has none) plus ``aux_logits_all``.
        """
        domains = list(inputs)
        feats, joint = self._extract_domains(inputs)
        heads_modules = [self.decode_head] + self._aux_heads()
        if joint is not None and _batch_independent(heads_modules):
            sizes = [inputs[d].shape[0] for d in domains]
            heads = dict(zip(domains, self._split_heads(self._forward_heads(joint), sizes)))
        else:
            heads = {d: self._forward_heads(feats[d]) for d in domains}
        return {d: self._domain_outputs(inputs[d], feats[d], heads[d], data_samples[d])
                for d in domains}

    def loss_and_outputs(self, inputs: DomainInputs, data_samples
                         ) -> Tuple[dict, Dict[str, DomainOutputs]]:
        """:meth:`loss` plus the outputs it was computed from."""
        inputs, data_samples = self._as_domains(inputs, data_samples)
        for step in self.batch_steps:  # teachers, mixers: may change or add domains
            inputs, data_samples = step(self, inputs, data_samples)
        outputs = self.forward_domains(inputs, data_samples)
        if self.online_acquisition is not None and self.training:
            self.online_acquisition(self, outputs, data_samples)
        return self.losses_from_outputs(outputs, data_samples), outputs

    def loss(self, inputs: DomainInputs, data_samples) -> dict:
        """Losses of a two-domain (or single-domain) training batch.

        Args:
            inputs: A tensor (a plain batch of ``default_domain``) or a dict
                of tensors per domain, from
                :class:`~mmada.models.MultiDomainDataPreProcessor`.
            data_samples: Data samples, a list or a dict of lists per domain.

        Returns:
            dict[str, Tensor]: Loss components, see :meth:`losses_from_outputs`.
        """
        return self.loss_and_outputs(inputs, data_samples)[0]

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """mmseg's modes plus ``'loss_and_outputs'`` (see :meth:`loss_and_outputs`)."""
        if mode == 'loss_and_outputs':
            return self.loss_and_outputs(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)
