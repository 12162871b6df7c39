"""One optimiser per top-level child of a model, as an ``OptimWrapperDict``."""
import copy
from typing import Optional

from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch import nn

from mmada.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmada.utils.errors import UserFacingError


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an optimiser wrapper for each named child of the model.

    Used by models with their own ``train_step`` over several optimisers
    (e.g. :class:`~mmada.models.AdversarialSegmentor`)::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD', ...),
                           paramwise_cfg=dict(custom_keys={...})),
            discriminators=dict(type='OptimWrapper',
                                optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))

    Each entry is an ordinary ``optim_wrapper`` config (its own ``type``,
    e.g. ``AmpOptimWrapper``, ``paramwise_cfg`` and optional ``constructor``)
    built on the child of that name. Every child with trainable parameters
    needs an entry and every entry a child, so a discriminator without an
    optimiser (or the reverse) fails before training.

    Args:
        optim_wrapper_cfg: Optimiser wrapper config per child name.
        paramwise_cfg: Must be ``None`` (give it per child).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise UserFacingError(
                'MultiOptimWrapperConstructor: put paramwise_cfg inside the optim_wrapper '
                'entry of the child it is for (e.g. optim_wrapper.segmentor.paramwise_cfg)')
        bad = [k for k, v in optim_wrapper_cfg.items() if not isinstance(v, dict)]
        if bad:
            raise UserFacingError(
                f'MultiOptimWrapperConstructor: optim_wrapper entries {bad} are not '
                'optimiser wrapper configs; each key names a child of the model')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers.

        Args:
            model: The (possibly DDP-wrapped) model.

        Returns:
            OptimWrapperDict: One wrapper per configured child.
        """
        model = model.module if is_model_wrapper(model) else model
        children = dict(model.named_children())
        trainable = {n for n, c in children.items()
                     if any(p.requires_grad for p in c.parameters())}
        missing = sorted(trainable - set(self.optim_wrapper_cfg))
        unknown = sorted(set(self.optim_wrapper_cfg) - set(children))
        if missing or unknown:
            raise UserFacingError(
                f'optim_wrapper of {type(model).__name__}: '
                + (f'children {missing} have trainable parameters but no optimiser; '
                   if missing else '')
                + (f'entries {unknown} name no child (children: {sorted(children)}); '
                   if unknown else '')
                + 'give one optim_wrapper entry per trainable child.')
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            cfg = copy.deepcopy(cfg)
            constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
                type=cfg.pop('constructor', 'DefaultOptimWrapperConstructor'),
                optim_wrapper_cfg=cfg, paramwise_cfg=cfg.pop('paramwise_cfg', None)))
            wrappers[name] = constructor(children[name])
        return OptimWrapperDict(**wrappers)
