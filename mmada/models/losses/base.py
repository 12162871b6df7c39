"""Base class of the extra losses a two-domain segmentor adds by config."""
from typing import Dict, Sequence, Union

from torch import Tensor, nn

#: Outputs a :class:`~mmada.models.segmentors.TwoDomainSegmentor` can hand to
#: an extra loss, per domain:
#:
#: * ``img``: (B, 3, H, W) normalised input batch.
#: * ``feats``: tuple of backbone feature maps (after the neck, if any).
#: * ``seg_logits``: (B, C, h, w) decode-head logits at feature resolution.
#: * ``aux_logits``: (B, C, h, w) logits of the first auxiliary head (e.g. the
#:   layer3 classifier of DeepLab-v2), when the model has one.
#: * ``decoder_feats``: (B, D, h, w) decoder features right before the
#:   classifier (DeepLab-v3+: the 256-d map after ``sep_bottleneck``;
#:   DeepLab-v2: the classifier's input, layer4), see
#:   :func:`mmada.models.utils.decode_head_features`; computed only when a
#:   loss asks for it.
#: * ``gt_sem_seg``: (B, H, W) int64 labels; 255 (ignore) where unlabelled.
#: * ``labelled_mask``: (B, H, W) bool, True at labelled pixels (on the target:
#:   the acquired ones; ``gt_sem_seg != ignore_index``).
#:
#: * ``seg_weight``: (B, H, W) float per-pixel loss weights that a batch step
#:   put on the data samples (a teacher's pseudo-label quality, mixed by
#:   DACS); ``None`` when the samples carry none.
#:
#: ``gt_sem_seg`` and ``labelled_mask`` are ``None`` for a domain whose
#: pipeline loads no labels (e.g. the target of unsupervised adaptation).
#:
#: Outputs of online acquisition (labels acquired inside the training step,
#: ADA-MCU); ``None`` when the model acquires nothing online:
#:
#: * ``uncertainty``: (B, H, W) float per-pixel uncertainty at label
#:   resolution, detached.
#: * ``uncertainty_group``: (B, H, W) int64 group of every pixel: 0 = high,
#:   1 = medium, 2 = low uncertainty (the thresholds of that iteration).
#: * ``pseudo_sem_seg``: (B, H, W) int64 pseudo labels (the current
#:   prediction) at the pixels sampled for pseudo-labelling; 255 elsewhere.
SEGMENTOR_OUTPUTS = ('img', 'feats', 'seg_logits', 'aux_logits', 'decoder_feats',
                     'gt_sem_seg', 'labelled_mask', 'seg_weight', 'uncertainty',
                     'uncertainty_group', 'pseudo_sem_seg')
#: Outputs that stay ``None`` unless an online acquisition fills them.
ONLINE_OUTPUTS = ('uncertainty', 'uncertainty_group', 'pseudo_sem_seg')


class BaseDomainLoss(nn.Module):
    """An extra loss on the outputs of one domain, or of both.

    Subclasses set ``default_inputs`` (names from :data:`SEGMENTOR_OUTPUTS`)
    and implement :meth:`forward`, which returns the unweighted loss; the
    segmentor multiplies it by ``loss_weight``.

    * ``domain='source'`` or ``'target'``: :meth:`forward` receives exactly
      the ``inputs`` of that domain as keyword arguments, e.g.
      ``forward(seg_logits=..., gt_sem_seg=...)``; logged as
      ``{domain}.{loss_name}``.
    * ``domain='both'`` (cross-domain terms: contrastive, adversarial):
      :meth:`forward` receives two keyword arguments, ``source`` and
      ``target``, each a dict of the ``inputs`` of that domain, e.g.
      ``forward(source=dict(seg_logits=...), target=dict(seg_logits=...))``;
      logged as ``{loss_name}`` (no prefix). It needs a two-domain batch.

    Inputs named in the class attribute ``optional_inputs`` may be ``None``
    (e.g. the online outputs of a domain that acquires nothing); the other
    inputs are refused when missing.

    Which domains a loss accepts is the class attribute ``domains``:
    per-domain losses keep the default ``('source', 'target')``; a
    cross-domain loss sets ``domains = ('both', )`` (its ``forward`` has the
    other signature).

    Three optional hooks of a subclass:

    * :meth:`check_batch_size`: refuse a training batch the loss cannot use
      (e.g. fewer than two images of a domain). ``TrainBatchCheckHook`` asks
      it with the train dataloader's images per domain before training
      starts, so a bad setting stops before any iteration, label-store write
      or checkpoint.
    * :attr:`log_parts`: named, unweighted parts of the loss of the last
      :meth:`forward` (detached scalars, e.g. one per contrastive level),
      which the segmentor logs as ``{name}.{part}`` next to the loss
      (``name`` = ``loss_name`` without ``loss_``); they are not added to
      the total, so the loss must equal their sum if they are its terms.
    * :attr:`replaces_decode_ce`: True when the loss *is* its domain's
      decode-head cross-entropy (e.g. one mean over ground-truth and pseudo
      labels); the segmentor then leaves out its own decode-head loss of
      that domain (the accuracy and the auxiliary heads' losses stay).

    Args:
        domain: ``'source'``, ``'target'`` or ``'both'``, among the class's
            ``domains``.
        loss_weight: Weight of the loss in the total objective.
        inputs: Outputs to pass to :meth:`forward`; ``None`` keeps
            ``default_inputs``.
        loss_name: Key of the loss in the log; must start with ``loss_``
            so MMEngine adds it to the total loss.
    """
    default_inputs: Sequence[str] = ('seg_logits', )
    optional_inputs: Sequence[str] = ()
    domains: Sequence[str] = ('source', 'target')
    replaces_decode_ce: bool = False

    def __init__(self,
                 domain: str = 'target',
                 loss_weight: float = 1.0,
                 inputs: Union[Sequence[str], None] = None,
                 loss_name: str = 'loss_extra') -> None:
        super().__init__()
        if domain not in self.domains:
            raise ValueError(
                f'{type(self).__name__}: domain must be one of {tuple(self.domains)}, '
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
        self.log_parts: Dict[str, Tensor] = {}

    def check_batch_size(self, images_per_domain: Dict[str, int]) -> None:
        """Refuse a training batch this loss cannot use.

        The default refuses a ``domain='both'`` loss without a two-domain
        batch; subclasses add their own needs (calling this one).

        Args:
            images_per_domain: Fewest images of each domain in a training
                batch of this rank, e.g. ``dict(source=2, target=2)``.

        Raises:
            ValueError: Naming the loss, what it needs and what to change.
        """
        missing = {'source', 'target'} - set(images_per_domain)
        if self.domain == 'both' and missing:
            raise ValueError(
                f"{type(self).__name__} has domain='both' (source and target outputs) but "
                f'the training batches hold only {sorted(images_per_domain)}: use a '
                'two-domain train_dataloader (TwoDomainDataset).')

    def forward(self, **outputs) -> Tensor:
        """Compute the unweighted loss from the named outputs (see above)."""
        raise NotImplementedError


def weighted_loss(module: nn.Module, value: Tensor) -> Dict[str, Tensor]:
    """The log entries of an extra loss: ``{loss_name: loss_weight * value}``
    plus its :attr:`~BaseDomainLoss.log_parts`, unweighted, as
    ``{name}.{part}`` (``name`` = ``loss_name`` without ``loss_``).

    Args:
        module: The loss module (after its forward).
        value: Its unweighted loss.

    Returns:
        dict[str, Tensor]: Entries for the segmentor's losses dict; only the
        first has ``loss`` in its key, so MMEngine adds only it to the total.
    """
    losses = {module.loss_name: module.loss_weight * value}
    name = module.loss_name[len('loss_'):]
    for part, part_value in getattr(module, 'log_parts', {}).items():
        key = f'{name}.{part}'
        if 'loss' in key:
            raise RuntimeError(f"{type(module).__name__}: log part {key!r} contains 'loss' "
                               'and would be added to the total loss')
        losses[key] = part_value
    return losses
