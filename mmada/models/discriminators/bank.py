"""One discriminator per alignment level, called together."""
from typing import Dict

from torch import Tensor, nn

from mmada.registry import MODELS


@MODELS.register_module()
class DiscriminatorBank(nn.ModuleDict):
    """Discriminators by level (e.g. ``main``, ``aux``), one ``forward``.

    A single module with a ``forward`` so that MMEngine's
    ``MMSeparateDistributedDataParallel`` wraps all discriminators in one DDP
    and every call uses every parameter.

    Args:
        discriminators: Config of the discriminator of each level.
    """

    def __init__(self, discriminators: Dict[str, dict]) -> None:
        if not discriminators:
            raise ValueError('DiscriminatorBank needs at least one discriminator')
        super().__init__({level: MODELS.build(cfg) for level, cfg in discriminators.items()})

    def forward(self, maps: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Domain logits of each level's map.

        Args:
            maps: (B, C, H, W) map per level; its keys must be this bank's.

        Returns:
            dict: (B, 1, h, w) logits per level.
        """
        if set(maps) != set(self.keys()):
            raise KeyError(f'DiscriminatorBank has levels {sorted(self.keys())}, '
                           f'got maps for {sorted(maps)}')
        return {level: self[level](x) for level, x in maps.items()}
