"""Base class of the extra losses a two-domain segmentor adds by config."""
from typing import Sequence, Union

from torch import Tensor, nn

#: Outputs a :class:`~mmada.models.segmentors.TwoDomainSegmentor` can hand to
#: an extra loss, per domain:
#:
#: * ``img``: (B, 3, H, W) normalised input batch.
#: * ``feats``: tuple of backbone feature maps (after the neck, if any).
#: * ``seg_logits``: (B, C, h, w) decode-head logits at feature resolution.
#: * ``aux_logits``: (B, C, h, w) logits of the first auxiliary head (e.g. the
#:   layer3 classifier of DeepLab-v2), when the model has one.
#: * ``gt_sem_seg``: (B, H, W) int64 labels; 255 (ignore) where unlabelled.
SEGMENTOR_OUTPUTS = ('img', 'feats', 'seg_logits', 'aux_logits', 'gt_sem_seg')


class BaseDomainLoss(nn.Module):
    """An extra loss on the outputs of one domain.

    Subclasses set ``default_inputs`` (names from :data:`SEGMENTOR_OUTPUTS`)
    and implement :meth:`forward`, which receives exactly those outputs as
    keyword arguments and returns the unweighted loss; the segmentor multiplies
    it by ``loss_weight`` and logs it as ``{domain}.{loss_name}``.

    Args:
        domain: ``'source'`` or ``'target'``.
        loss_weight: Weight of the loss in the total objective.
        inputs: Outputs to pass to :meth:`forward`; ``None`` keeps
            ``default_inputs``.
        loss_name: Key of the loss in the log; must start with ``loss_``
            so MMEngine adds it to the total loss.
    """
    default_inputs: Sequence[str] = ('seg_logits', )

    def __init__(self,
                 domain: str = 'target',
                 loss_weight: float = 1.0,
                 inputs: Union[Sequence[str], None] = None,
                 loss_name: str = 'loss_extra') -> None:
        super().__init__()
        if domain not in ('source', 'target'):
            raise ValueError(
                f"{type(self).__name__}: domain must be 'source' or 'target', "
                f'got {domain!r}')
        inputs = tuple(self.default_inputs if inputs is None else inputs)
        unknown = [name for name in inputs if name not in SEGMENTOR_OUTPUTS]
        if unknown:
            raise ValueError(
                f'{type(self).__name__}: unknown inputs {unknown}; '
                f'available: {SEGMENTOR_OUTPUTS}')
        if not loss_name.startswith('loss_'):
            raise ValueError(
                f"{type(self).__name__}: loss_name must start with 'loss_', "
                f'got {loss_name!r}')
        self.domain = domain
        self.loss_weight = float(loss_weight)
        self.inputs = inputs
        self.loss_name = loss_name

    def forward(self, **outputs: Tensor) -> Tensor:
        """Compute the unweighted loss from the named outputs."""
        raise NotImplementedError
