"""Segmentor trained on a labelled source and a (partially labelled) target."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import SampleList, add_prefix
from torch import Tensor, nn

from mmada.registry import MODELS

DomainInputs = Union[Tensor, Dict[str, Tensor]]


def _check_avg_non_ignore(head: nn.Module, where: str) -> None:
    """Refuse cross-entropy losses that average over ignored pixels.

    mmseg's ``CrossEntropyLoss`` divides by *all* pixels unless
    ``avg_non_ignore=True``; with sparse active labels that silently shrinks
    the target loss by the (tiny) labelled fraction.
    """
    losses = head.loss_decode
    losses = losses if isinstance(losses, nn.ModuleList) else [losses]
    for loss in losses:
        if hasattr(loss, 'avg_non_ignore') and not loss.avg_non_ignore:
            raise ValueError(
                f'{where}: {type(loss).__name__} has avg_non_ignore=False, which '
                'averages over unlabelled pixels too and shrinks sparse target '
                'losses; set avg_non_ignore=True in its loss_decode config.')


@MODELS.register_module()
class TwoDomainSegmentor(EncoderDecoder):
    """Encoder-decoder trained on two domains in one ``loss()`` call.

    All two-domain logic lives in :meth:`loss` (not ``train_step``) so that it
    also runs under MMEngine's DDP wrapper. Call graph::

        loss(): _extract_domains() -> for each domain:
                    _domain_outputs()       # decode (+ auxiliary) logits
                    _supervised_losses()    # CE on labelled pixels
                    _extra_losses()         # configured extra loss modules

    * Source: cross-entropy of the decode (and auxiliary) heads.
    * Target: the same cross-entropy over *labelled* target pixels only
      (``gt_sem_seg`` is 255 where no label was acquired), averaged over those
      pixels; zero when a batch has none (``avg_non_ignore=True`` is enforced).
    * ``extra_losses``: registered :class:`~mmada.models.losses.BaseDomainLoss`
      modules, each naming its domain, the outputs it needs and its weight.

    When both domains have the same input size they share one backbone pass
    (BatchNorm is frozen in the paper models, so this equals two passes).

    Args:
        extra_losses: Configs of extra loss modules.
        domain_loss_weights: Weights of each domain's supervised loss, e.g.
            ``dict(source=1.0, target=1.0)``; 0 drops a domain's supervision
            (source-free training uses ``source=0`` or a target-only loader).
        default_domain: Domain of a plain (single-tensor) training batch.
        **kwargs: Arguments of :class:`mmseg.models.EncoderDecoder`.
    """

    def __init__(self,
                 extra_losses: Sequence[dict] = (),
                 domain_loss_weights: Optional[Dict[str, float]] = None,
                 default_domain: str = 'source',
                 **kwargs) -> None:
        super().__init__(**kwargs)
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

    def _aux_heads(self) -> List[nn.Module]:
        if not self.with_auxiliary_head:
            return []
        if isinstance(self.auxiliary_head, nn.ModuleList):
            return list(self.auxiliary_head)
        return [self.auxiliary_head]

    def _extract_domains(self, inputs: Dict[str, Tensor]) -> Dict[str, List[Tensor]]:
        """Backbone (+neck) features per domain, one pass when sizes match.

        Args:
            inputs: Normalised image batch per domain.

        Returns:
            dict: Feature maps per domain.
        """
        domains = list(inputs)
        shapes = {inputs[d].shape[1:] for d in domains}
        if len(domains) == 1 or len(shapes) > 1:
            return {d: self.extract_feat(inputs[d]) for d in domains}
        sizes = [inputs[d].shape[0] for d in domains]
        feats = self.extract_feat(torch.cat([inputs[d] for d in domains]))
        split = [f.split(sizes) for f in feats]
        return {d: [s[i] for s in split] for i, d in enumerate(domains)}

    def _domain_outputs(self, img: Tensor, feats: List[Tensor],
                        data_samples: SampleList) -> Dict[str, object]:
        """Forward the heads and collect the outputs extra losses may use."""
        outputs = dict(img=img, feats=feats, seg_logits=self.decode_head(feats))
        aux = self._aux_heads()
        outputs['aux_logits_all'] = [head(feats) for head in aux]
        outputs['aux_logits'] = outputs['aux_logits_all'][0] if aux else None
        outputs['gt_sem_seg'] = torch.stack(
            [s.gt_sem_seg.data for s in data_samples]).squeeze(1).long()
        return outputs

    def _supervised_losses(self, outputs: dict, data_samples: SampleList) -> dict:
        """Cross-entropy of the decode and auxiliary heads (mmseg's)."""
        losses = add_prefix(
            self.decode_head.loss_by_feat(outputs['seg_logits'], data_samples),
            'decode')
        aux = outputs['aux_logits_all']
        for idx, (head, logits) in enumerate(zip(self._aux_heads(), aux)):
            prefix = 'aux' if len(aux) == 1 else f'aux_{idx}'
            losses.update(add_prefix(head.loss_by_feat(logits, data_samples), prefix))
        return losses

    def _extra_losses(self, domain: str, outputs: dict) -> dict:
        """Weighted extra losses configured for ``domain``."""
        losses = {}
        for module in self.extra_losses:
            if module.domain != domain:
                continue
            missing = [n for n in module.inputs if outputs.get(n) is None]
            if missing:
                raise RuntimeError(
                    f'{type(module).__name__} needs outputs {missing}, which this '
                    'model does not produce (e.g. aux_logits needs an '
                    'auxiliary_head).')
            value = module(**{n: outputs[n] for n in module.inputs})
            losses[module.loss_name] = module.loss_weight * value
        return losses

    def loss(self, inputs: DomainInputs, data_samples) -> dict:
        """Losses of a two-domain (or single-domain) training batch.

        Args:
            inputs: A tensor (a plain batch of ``default_domain``) or a dict
                of tensors per domain, from
                :class:`~mmada.models.MultiDomainDataPreProcessor`.
            data_samples: Data samples, a list or a dict of lists per domain.

        Returns:
            dict[str, Tensor]: Loss components prefixed by their domain, e.g.
            ``source.decode.loss_ce`` and ``target.loss_nl``.
        """
        if isinstance(inputs, Tensor):
            inputs = {self.default_domain: inputs}
            data_samples = {self.default_domain: data_samples}
        feats = self._extract_domains(inputs)
        losses = {}
        for domain in inputs:
            outputs = self._domain_outputs(inputs[domain], feats[domain],
                                           data_samples[domain])
            weight = self.domain_loss_weights[domain]
            domain_losses = {}
            if weight > 0:
                sup = self._supervised_losses(outputs, data_samples[domain])
                domain_losses.update({
                    k: v * weight if k.rsplit('.', 1)[-1].startswith('loss') else v
                    for k, v in sup.items()})
            domain_losses.update(self._extra_losses(domain, outputs))
            losses.update(add_prefix(domain_losses, domain))
        return losses
