"""The loss half of :class:`~mmada.models.segmentors.TwoDomainSegmentor`."""
from typing import Dict, List

from mmseg.models.losses import accuracy
from mmseg.models.utils import resize
from mmseg.utils import SampleList, add_prefix
from torch import Tensor, nn

from ..batch_steps import check_batch_steps
from ..losses.base import ONLINE_OUTPUTS, weighted_loss

#: Named outputs of one domain (see :data:`~mmada.models.losses.SEGMENTOR_OUTPUTS`).
DomainOutputs = Dict[str, object]


def _check_avg_non_ignore(head: nn.Module, where: str) -> None:
    """Refuse cross-entropy losses that average over ignored pixels.

    mmseg's ``CrossEntropyLoss`` divides by *all* pixels unless
    ``avg_non_ignore=True``; with sparse active labels that silently shrinks
    the target loss by the (tiny) labelled fraction.
    """
    for loss in _loss_modules(head):
        if hasattr(loss, 'avg_non_ignore') and not loss.avg_non_ignore:
            raise ValueError(
                f'{where}: {type(loss).__name__} has avg_non_ignore=False, which '
                'averages over unlabelled pixels too and shrinks sparse target '
                'losses; set avg_non_ignore=True in its loss_decode config.')


def _loss_modules(head: nn.Module) -> List[nn.Module]:
    losses = head.loss_decode
    return list(losses) if isinstance(losses, nn.ModuleList) else [losses]


class DomainLossesMixin:
    """Losses of a two-domain batch from the outputs of ``forward_domains()``.

    Mixed into :class:`~mmada.models.segmentors.TwoDomainSegmentor`, which
    provides ``decode_head``, ``_aux_heads()``, ``extra_losses`` and
    ``domain_loss_weights``.
    """

    def _head_losses(self, head: nn.Module, logits: Tensor, labels: Tensor,
                     data_samples: SampleList) -> Dict[str, Tensor]:
        """mmseg's ``loss_by_feat`` on labels stacked once (same values)."""
        if head.sampler is not None:
            return head.loss_by_feat(logits, data_samples)
        logits = resize(logits, size=labels.shape[1:], mode='bilinear',
                        align_corners=head.align_corners)
        losses = {}
        for loss_decode in _loss_modules(head):
            value = loss_decode(logits, labels, weight=None, ignore_index=head.ignore_index)
            name = loss_decode.loss_name
            losses[name] = losses[name] + value if name in losses else value
        losses['acc_seg'] = accuracy(logits, labels, ignore_index=head.ignore_index)
        return losses

    def _supervised_losses(self, outputs: DomainOutputs, data_samples: SampleList) -> dict:
        """Cross-entropy of the decode and auxiliary heads (mmseg's)."""
        labels = outputs['gt_sem_seg']
        losses = add_prefix(
            self._head_losses(self.decode_head, outputs['seg_logits'], labels,
                              data_samples), 'decode')
        aux = outputs['aux_logits_all']
        for idx, (head, logits) in enumerate(zip(self._aux_heads(), aux)):
            prefix = 'aux' if len(aux) == 1 else f'aux_{idx}'
            losses.update(add_prefix(
                self._head_losses(head, logits, labels, data_samples), prefix))
        return losses

    @staticmethod
    def _loss_inputs(module: nn.Module, outputs: DomainOutputs, domain: str) -> dict:
        optional = getattr(module, 'optional_inputs', ())
        missing = [n for n in module.inputs if outputs.get(n) is None and n not in optional]
        if missing:
            raise RuntimeError(
                f'{type(module).__name__} needs {domain} outputs {missing}, which this '
                'model or batch does not produce (aux_logits needs an auxiliary_head; '
                'gt_sem_seg and labelled_mask need LoadAnnotations in the pipeline; '
                f'{", ".join(ONLINE_OUTPUTS)} need an online acquisition).')
        return {n: outputs.get(n) for n in module.inputs}

    def check_batch_size(self, images_per_domain: Dict[str, int]) -> None:
        """Ask every batch step and extra loss whether it can train on such batches.

        Called by :class:`~mmada.engine.hooks.TrainBatchCheckHook` before
        training with the train dataloader's images per domain.

        Args:
            images_per_domain: Fewest images of each domain in a batch.

        Raises:
            ValueError: From the first batch step (a domain it reads is
                missing, :func:`~mmada.models.batch_steps.check_batch_steps`)
                or loss that refuses them.
        """
        check_batch_steps(getattr(self, 'batch_steps', ()), images_per_domain)
        for module in self.extra_losses:
            check = getattr(module, 'check_batch_size', None)
            if check is not None:
                check(images_per_domain)

    def _decode_ce_replaced(self, domain: str) -> bool:
        """Whether an extra loss of ``domain`` is its decode-head CE
        (:attr:`~mmada.models.losses.BaseDomainLoss.replaces_decode_ce`)."""
        return any(m.domain == domain and getattr(m, 'replaces_decode_ce', False)
                   for m in self.extra_losses)

    def _extra_losses(self, domain: str, outputs: DomainOutputs) -> dict:
        """Weighted extra losses configured for ``domain``."""
        losses = {}
        for module in self.extra_losses:
            if module.domain == domain:
                value = module(**self._loss_inputs(module, outputs, domain))
                losses.update(weighted_loss(module, value))
        return losses

    def _cross_domain_losses(self, outputs: Dict[str, DomainOutputs]) -> dict:
        """Weighted extra losses with ``domain='both'`` (unprefixed keys)."""
        losses = {}
        for module in self.extra_losses:
            if module.domain != 'both':
                continue
            if set(outputs) != {'source', 'target'}:
                raise RuntimeError(
                    f"{type(module).__name__} has domain='both' but the training batch "
                    f'holds only {sorted(outputs)}: use a two-domain train_dataloader.')
            value = module(**{d: self._loss_inputs(module, outputs[d], d)
                              for d in ('source', 'target')})
            losses.update(weighted_loss(module, value))
        return losses

    def losses_from_outputs(self, outputs: Dict[str, DomainOutputs],
                            data_samples: Dict[str, SampleList]) -> dict:
        """Every loss of a batch from the outputs of :meth:`forward_domains`.

        Args:
            outputs: Named outputs per domain.
            data_samples: Data samples per domain.

        Returns:
            dict[str, Tensor]: Loss components prefixed by their domain, e.g.
            ``source.decode.loss_ce`` and ``target.loss_nl``; losses with
            ``domain='both'`` are not prefixed.
        """
        losses = {}
        for domain, out in outputs.items():
            weight = self.domain_loss_weights[domain]
            domain_losses = {}
            if weight > 0:
                if out['gt_sem_seg'] is None:
                    raise RuntimeError(
                        f'{domain} samples carry no gt_sem_seg, but its supervised '
                        f'loss has weight {weight}: add LoadAnnotations to the {domain} '
                        f'pipeline or set domain_loss_weights={{"{domain}": 0}}.')
                sup = self._supervised_losses(out, data_samples[domain])
                if self._decode_ce_replaced(domain):
                    sup = {k: v for k, v in sup.items() if not k.startswith('decode.loss')}
                domain_losses.update({
                    k: v * weight if k.rsplit('.', 1)[-1].startswith('loss') else v
                    for k, v in sup.items()})
            domain_losses.update(self._extra_losses(domain, out))
            losses.update(add_prefix(domain_losses, domain))
        losses.update(self._cross_domain_losses(outputs))
        return losses
