"""DeepLab-v2 classifier: atrous spatial pyramid of classifiers, summed."""
from typing import List, Sequence, Tuple

import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor, nn

from mmada.registry import MODELS


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """DeepLab-v2 ASPP classifier (Chen et al., TPAMI 2018).

    Each branch is a 3x3 convolution with its own dilation mapping the
    backbone feature straight to class logits; the branch outputs are
    *summed*, as in the DeepLab-v2 models of the AdaptSegNet / AdvEnt / RIPU
    lineage. Unlike mmseg's ``ASPPHead`` (DeepLab-v3) there is no image
    pooling, no feature fusion and no separate ``conv_seg``.

    Args:
        dilations: Dilation of each branch (6, 12, 18, 24 in the papers).
        **kwargs: Arguments of ``BaseDecodeHead``; ``channels`` is unused and
            defaults to ``num_classes``.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs) -> None:
        kwargs.setdefault('channels', kwargs.get('num_classes', 19))
        kwargs.setdefault('dropout_ratio', 0.0)
        super().__init__(**kwargs)
        del self.conv_seg  # the ASPP branches are the classifier
        self.dilations = tuple(dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d)
            for d in self.dilations)

    def init_weights(self) -> None:
        """Normal(0, 0.01) weights and zero biases, as the DeepLab-v2 classifier."""
        for conv in self.aspp:
            nn.init.normal_(conv.weight, 0, 0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Sum of the dilated classifiers on the selected feature map."""
        return self.forward_with_features(inputs)[0]

    def forward_with_features(self, inputs: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Logits and the classifier's input (the selected backbone map).

        Args:
            inputs: Backbone feature maps.

        Returns:
            tuple[Tensor, Tensor]: (B, C, h, w) logits and (B, D, h, w) features.
        """
        x = self._transform_inputs(inputs)
        return torch.stack([conv(x) for conv in self.aspp]).sum(0), x
