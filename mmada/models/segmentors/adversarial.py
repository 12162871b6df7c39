"""Adversarial output-space alignment around a two-domain segmentor."""
from typing import Dict, List

from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch import Tensor, nn

from mmada.registry import MODELS
from mmada.utils.errors import UserFacingError
from ..losses.adversarial import LEVEL_OUTPUTS


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    """Switch ``requires_grad`` of every parameter of ``module``."""
    for p in module.parameters():
        p.requires_grad_(flag)


def _detached(maps: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {k: v.detach() for k, v in maps.items()}


@MODELS.register_module()
class AdversarialSegmentor(BaseModel):
    """A segmenter aligned to the target by discriminators (AdaptSegNet, AdvEnt).

    Composition, not inheritance: ``segmentor`` (a
    :class:`TwoDomainSegmentor`, with all its losses, active target labels
    and extra losses) and ``discriminators`` (a
    :class:`~mmada.models.discriminators.DiscriminatorBank`, one per level)
    are top-level children, so ``MMSeparateDistributedDataParallel`` wraps
    each in its own DDP and calls this model's :meth:`train_step`::

        train_step(): data_preprocessor()
            segmentor step (discriminators frozen):
                segmentor(mode='loss_and_outputs')    # its own losses + outputs
                alignment.maps(target) -> D -> alignment.segmentor_losses()
                optim_wrapper['segmentor'].update_params()
            discriminator step (segmentor outputs detached):
                D(source maps), D(target maps) -> alignment.discriminator_losses()
                optim_wrapper['discriminators'].update_params()

    Both steps use the same forward pass (the maps of the segmenter before
    its update), like the authors' code, which back-propagates both before
    stepping either optimiser. Validation, testing and acquisition rounds
    (``val_step`` / ``test_step`` / ``predict``) are the segmentor's.

    Checkpoints hold the discriminators (model state) and both optimisers
    (an ``OptimWrapperDict``); a checkpoint of a plain segmentor (e.g. the
    source-only model as ``load_from``) is loaded into ``segmentor``.

    The segmenter's arguments are this model's remaining keyword arguments,
    so a config turns any two-domain model into an adversarial one by merging
    ``type='AdversarialSegmentor'``, ``discriminators`` and ``alignment`` into
    its ``model`` dict (see ``configs/_base_/uda/``).

    Args:
        discriminators: Discriminator config per alignment level
            (``in_channels`` defaults to the segmenter's number of classes).
        alignment: Config of the alignment (``SoftmaxAlignment`` for
            AdaptSegNet, ``EntropyAlignment`` for AdvEnt); its levels must be
            the discriminators' levels.
        segmentor_type: Registered type of the segmenter.
        **segmentor_cfg: Arguments of the segmenter (backbone, decode_head,
            extra_losses, data_preprocessor, init_cfg, ...).
    """
    #: ``tools/train.py`` refuses a distributed run with another wrapper.
    model_wrapper = 'MMSeparateDistributedDataParallel'

    def __init__(self, discriminators: Dict[str, dict], alignment: dict,
                 segmentor_type: str = 'TwoDomainSegmentor', **segmentor_cfg) -> None:
        seg = MODELS.build(dict(type=segmentor_type, **segmentor_cfg))
        if not hasattr(seg, 'request_outputs'):
            raise UserFacingError(
                f'AdversarialSegmentor: segmentor_type {segmentor_type} is not a '
                'TwoDomainSegmentor (it must provide forward_domains / request_outputs)')
        super().__init__(data_preprocessor=seg.data_preprocessor)
        self.segmentor = seg
        self.alignment = MODELS.build(alignment)
        self._check_levels(discriminators)
        self.discriminators = MODELS.build(dict(
            type='DiscriminatorBank',
            discriminators=self._with_in_channels(discriminators, seg.decode_head.num_classes)))
        seg.request_outputs(LEVEL_OUTPUTS[lv] for lv in self.alignment.levels)
        self._register_load_state_dict_pre_hook(self._load_segmentor_checkpoint)
        self._register_state_dict_hook(self._unwrapped_keys)

    def _check_levels(self, discriminators: Dict[str, dict]) -> None:
        """Config mistakes: level sets that differ, levels the model lacks."""
        levels, discs = set(self.alignment.levels), set(discriminators or {})
        if levels != discs:
            raise UserFacingError(
                f'AdversarialSegmentor: alignment levels {sorted(levels)} and '
                f'discriminators {sorted(discs)} differ; give one discriminator per level '
                '(model.discriminators) and one weight per level (model.alignment.levels).')
        if 'aux' in levels and not self.segmentor.with_auxiliary_head:
            raise UserFacingError(
                "AdversarialSegmentor: alignment level 'aux' needs an auxiliary head in "
                'model.segmentor (DeepLab-v2: auxiliary_head={{_base_.layer3_aux_head}}).')

    @staticmethod
    def _with_in_channels(discriminators: Dict[str, dict], num_classes: int) -> Dict[str, dict]:
        """Discriminators take the segmenter's class maps: ``in_channels``
        defaults to its number of classes and must equal it when given."""
        out = {}
        for level, cfg in discriminators.items():
            cfg = dict(cfg)
            cfg.setdefault('in_channels', num_classes)
            if cfg['in_channels'] != num_classes:
                raise UserFacingError(
                    f'AdversarialSegmentor: discriminators.{level}.in_channels is '
                    f"{cfg['in_channels']} but the segmenter predicts {num_classes} classes; "
                    'leave in_channels out to use the number of classes.')
            out[level] = cfg
        return out

    # ---- the wrapped children ----------------------------------------------------

    @staticmethod
    def _unwrap(module: nn.Module) -> nn.Module:
        return module.module if is_model_wrapper(module) else module

    @property
    def seg_model(self) -> nn.Module:
        """The segmenter itself (``segmentor`` may be a DDP wrapper)."""
        return self._unwrap(self.segmentor)

    @staticmethod
    def _unwrapped_keys(module, state_dict, prefix, local_metadata) -> None:
        """Checkpoint keys without the DDP wrappers' ``module.`` of children.

        MMEngine saves ``model.state_dict()`` of the unwrapped model, but
        under ``MMSeparateDistributedDataParallel`` the children themselves
        are DDP-wrapped; their keys are renamed to those of a plain model so
        that checkpoints load everywhere (MMEngine loads wrapped children
        under the plain names).
        """
        wrapped = [f'{prefix}{name}.module.' for name, child in module._modules.items()
                   if is_model_wrapper(child)]
        if not wrapped:
            return
        items = list(state_dict.items())
        state_dict.clear()
        for key, value in items:
            for w in wrapped:
                if key.startswith(w):
                    key = w[:-len('module.')] + key[len(w):]
                    break
            state_dict[key] = value

    def _load_segmentor_checkpoint(self, state_dict, prefix, *args) -> None:
        """Load a plain segmentor's weights (no ``segmentor.`` keys) into it."""
        keys = [k for k in state_dict if k.startswith(prefix)]
        if not keys or any(k.startswith(prefix + 'segmentor.') for k in keys):
            return
        own = set(self.seg_model.state_dict())
        if not any(k[len(prefix):] in own for k in keys):
            return
        for k in keys:
            state_dict[f'{prefix}segmentor.{k[len(prefix):]}'] = state_dict.pop(k)

    # ---- training ----------------------------------------------------------------

    def train_step(self, data, optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One segmenter step and one discriminator step.

        Args:
            data: A two-domain batch from the dataloader.
            optim_wrapper: Wrappers ``segmentor`` and ``discriminators``.

        Returns:
            dict: Log variables (``loss`` is the segmenter's total, the
            discriminators' are under ``disc.``).
        """
        seg_optim, disc_optim = optim_wrapper['segmentor'], optim_wrapper['discriminators']
        data = self.data_preprocessor(data, True)
        if set(data['inputs']) != {'source', 'target'}:
            raise RuntimeError('AdversarialSegmentor needs two-domain training batches '
                               '(a TwoDomainDataset train_dataloader)')
        discs = self._unwrap(self.discriminators)
        with seg_optim.optim_context(self.segmentor):
            set_requires_grad(discs, False)
            losses, outputs = self.segmentor(**data, mode='loss_and_outputs')
            source_maps = self.alignment.maps(outputs['source'])
            target_maps = self.alignment.maps(outputs['target'])
            losses.update(self.alignment.segmentor_losses(discs(target_maps)))
        seg_loss, log_vars = self.parse_losses(losses)
        seg_optim.update_params(seg_loss)
        set_requires_grad(discs, True)
        with disc_optim.optim_context(self.discriminators):
            d_source = self.discriminators(_detached(source_maps))
            d_target = self.discriminators(_detached(target_maps))
            d_losses = self.alignment.discriminator_losses(d_source, d_target)
        disc_loss, disc_vars = self.parse_losses(d_losses)
        disc_optim.update_params(disc_loss)
        log_vars.update({f'disc.{k}': v for k, v in disc_vars.items()})
        return log_vars

    # ---- inference is the segmentor's ---------------------------------------------

    def val_step(self, data) -> List:
        return self.segmentor.val_step(data)

    def test_step(self, data) -> List:
        return self.segmentor.test_step(data)

    def predict(self, inputs: Tensor, data_samples=None):
        return self.seg_model.predict(inputs, data_samples)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """The segmentor's ``predict`` / ``tensor`` modes.

        ``mode='loss'`` is what MMEngine's default DDP wrapper calls instead
        of :meth:`train_step`; it is refused with the fix.
        """
        if mode == 'loss':
            raise UserFacingError(
                'AdversarialSegmentor trains through its own train_step (two optimisers): '
                "use model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel') "
                'for distributed training, as configs/_base_/uda/adversarial.py does.')
        return self.seg_model(inputs, data_samples, mode)
