"""Refuse, before training, a train batch or an acquisition the model cannot use."""
from typing import Dict, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from mmada.registry import HOOKS
from mmada.utils.errors import UserFacingError


def images_per_batch(dataloader) -> int:
    """Fewest images in a batch of ``dataloader`` (this rank).

    ``batch_size``, or the remainder of a finite sampler's epoch when the
    loader keeps a last incomplete batch (``drop_last=False``); infinite
    samplers always fill their batches.

    Args:
        dataloader: A built ``torch.utils.data.DataLoader``.

    Returns:
        int: The smallest batch size.
    """
    size = dataloader.batch_size
    if size is None:  # a batch_sampler
        size = getattr(dataloader.batch_sampler, 'batch_size', None) or 1
    sampler = getattr(dataloader, 'sampler', None)
    finite = type(sampler).__name__ == 'DefaultSampler'
    if finite and not dataloader.drop_last and len(sampler) % size:
        return len(sampler) % size
    return size


def images_per_domain(dataloader, default_domain: str) -> Dict[str, int]:
    """Fewest images of each domain in a training batch.

    A :class:`~mmada.datasets.TwoDomainDataset` yields one source and one
    target sample per item, so a batch holds ``batch_size`` images of each;
    any other dataset gives batches of ``default_domain``.
    """
    from mmada.datasets.two_domain import TwoDomainDataset
    size = images_per_batch(dataloader)
    if isinstance(dataloader.dataset, TwoDomainDataset):
        return dict(source=size, target=size)
    return {default_domain: size}


def sparse_acquisition(cfg) -> Optional[str]:
    """The acquisition setting of ``cfg`` that labels isolated points, if any.

    Looks at the ``unit`` of the top-level ``active_learning`` dict, or of an
    ``ActiveLearningHook`` in ``custom_hooks`` (which wins), when the config
    runs one; a unit class with ``sparse_labels`` (e.g. ``PixelUnit``,
    ``GridPointsUnit``) labels points.

    Args:
        cfg: The run's config.

    Returns:
        str or None: The config key and unit type, e.g.
        ``"active_learning.unit (GridPointsUnit)"``.
    """
    from mmada.registry import UNITS
    hooks = [h for h in cfg.get('custom_hooks', None) or []
             if str(h.get('type', '')).split('.')[-1] == 'ActiveLearningHook']
    if not hooks:
        return None
    key, unit = 'active_learning.unit', (cfg.get('active_learning', None) or {}).get('unit')
    idx = cfg.custom_hooks.index(hooks[0])
    if hooks[0].get('unit') is not None:
        key, unit = f'custom_hooks.{idx}.unit', hooks[0]['unit']
    if not unit:
        return None
    cls = UNITS.get(unit['type']) if isinstance(unit['type'], str) else unit['type']
    if getattr(cls, 'sparse_labels', False):
        return f'{key} ({getattr(cls, "__name__", unit["type"])})'
    return None


def check_label_density(steps: Sequence, cfg) -> None:
    """Refuse a batch step that pastes regions of acquired labels when they are points.

    Args:
        steps: The segmentor's batch steps (each may set
            ``dense_label_domains``).
        cfg: The run's config (its acquisition unit, see
            :func:`sparse_acquisition`).

    Raises:
        ValueError: Naming the step and the acquisition setting.
    """
    sparse = None
    for idx, step in enumerate(steps):
        if not getattr(step, 'dense_label_domains', ()):
            continue
        sparse = sparse or sparse_acquisition(cfg)
        if sparse:
            raise ValueError(
                f'{type(step).__name__} (model.batch_steps.{idx}) pastes regions of the acquired '
                f'{list(step.dense_label_domains)} labels and needs dense ones, but {sparse} '
                'acquires isolated points: use a region or image unit (e.g. SquareRegionUnit, '
                f'ImageUnit) or remove {type(step).__name__} from model.batch_steps.')


@HOOKS.register_module()
class TrainBatchCheckHook(Hook):
    """Asks the model, before training, whether it can train on the batches.

    In ``before_run`` (first of all hooks: before any label-store write,
    checkpoint load or iteration) it reads the train dataloader's images per
    domain and calls the segmentor's ``check_batch_size(images_per_domain)``
    (:meth:`~mmada.models.TwoDomainSegmentor.check_batch_size`, which asks
    every batch step and extra loss,
    :meth:`~mmada.models.losses.BaseDomainLoss.check_batch_size`), then
    whether the batch steps can use what the acquisition labels
    (:func:`check_label_density`). A refusal stops the run with its message. Models without
    ``check_batch_size`` and runs that do not train are left alone.

    Every config gets it through ``default_hooks`` of
    ``configs/_base_/schedules/schedule_40k.py``.
    """
    priority = 'HIGHEST'

    def before_run(self, runner) -> None:
        """Check the built train dataloader against the model."""
        from mmada.models.acquisition_outputs import find_segmentor
        loop = getattr(runner, '_train_loop', None)
        if not isinstance(loop, BaseLoop):  # testing / validating: no train loop built
            return
        segmentor = find_segmentor(runner.model)
        check = getattr(segmentor, 'check_batch_size', None)
        if check is None:
            return
        sizes = images_per_domain(loop.dataloader,
                                  getattr(segmentor, 'default_domain', 'source'))
        try:
            check(sizes)
        except ValueError as err:
            raise UserFacingError(
                f'the train batches ({sizes} images per domain) do not fit the model: '
                f'{err}') from None
        try:
            check_label_density(getattr(segmentor, 'batch_steps', ()), runner.cfg)
        except ValueError as err:
            raise UserFacingError(f'the acquisition does not fit the model: {err}') from None
