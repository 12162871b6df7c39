"""Refuse, before training, a train batch that the model's losses cannot use."""
from typing import Dict

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


@HOOKS.register_module()
class TrainBatchCheckHook(Hook):
    """Asks the model, before training, whether it can train on the batches.

    In ``before_run`` (first of all hooks: before any label-store write,
    checkpoint load or iteration) it reads the train dataloader's images per
    domain and calls the segmentor's ``check_batch_size(images_per_domain)``
    (:meth:`~mmada.models.TwoDomainSegmentor.check_batch_size`, which asks
    every extra loss, :meth:`~mmada.models.losses.BaseDomainLoss.check_batch_size`).
    A refusal stops the run with its message. Models without
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
