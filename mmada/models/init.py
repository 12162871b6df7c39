"""Weight initialisation with a clear message when weights are unavailable."""
import os.path as osp

from mmengine.model.weight_init import PretrainedInit

from mmada.registry import WEIGHT_INITIALIZERS
from mmada.utils.errors import UserFacingError


class PretrainedWeightsError(UserFacingError, RuntimeError):
    """Pretrained weights could not be loaded (offline, missing file)."""


@WEIGHT_INITIALIZERS.register_module(name='ImageNetPretrained')
class ImageNetPretrainedInit(PretrainedInit):
    """``Pretrained`` initialisation that fails with one actionable message.

    Behaves exactly like MMEngine's ``Pretrained`` init; when the checkpoint
    cannot be read (no network for ``torchvision://`` / ``open-mmlab://`` /
    URLs, or a missing local file) it raises :class:`PretrainedWeightsError`
    naming the checkpoint, where it was looked for, and how to supply it or
    disable it.
    """

    def __call__(self, module) -> None:
        try:
            super().__call__(module)
        except Exception as err:  # noqa: BLE001 - re-raised with guidance
            raise PretrainedWeightsError(self._message(err)) from err

    def _message(self, err: Exception) -> str:
        ckpt = str(self.checkpoint)
        hub = osp.join(osp.expanduser('~'), '.cache', 'torch', 'hub', 'checkpoints')
        where = (f'a local file at {osp.abspath(ckpt)}' if '://' not in ckpt else
                 f'the download cache {hub} (the URL could not be fetched)')
        return (
            f'Could not load the ImageNet weights {ckpt!r}: {type(err).__name__}: '
            f'{err}\n  Looked for: {where}.\n  To fix: download the file on a '
            f'machine with internet and put it in {hub} (torchvision/open-mmlab '
            'names) or pass a local path with --cfg-options '
            "model.backbone.init_cfg.checkpoint=/path/to/file.pth; or train "
            'from scratch with --cfg-options model.backbone.init_cfg=None.')
