"""DAFormer's decoder: context-aware multi-level feature fusion (Hoyer et al., CVPR 2022)."""
from typing import List, Sequence

import torch
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.sep_aspp_head import DepthwiseSeparableASPPModule
from mmseg.models.utils import resize
from torch import Tensor, nn

from mmada.registry import MODELS


@MODELS.register_module()
class DAFormerHead(BaseDecodeHead):
    """The DAFormer decoder (Sec. 3.3, Fig. 3 of the paper).

    Every encoder level is embedded to ``embed_dims`` channels by a linear
    layer per pixel, upsampled to the first level's size and concatenated;
    the context-aware fusion is an ASPP over the stack (depthwise separable
    3x3 convolutions with dilations 1, 6, 12, 18, the first a 1x1; no image
    pooling), each branch with BatchNorm and ReLU, concatenated and fused by a
    3x3 ConvModule to ``channels``, then dropout and the classifier. The
    authors' ``daformer_sepaspp_mitb5`` model (``embed_dims=256``,
    ``channels=256``).

    Args:
        embed_dims: Channels of each level's embedding.
        dilations: Dilations of the fusion ASPP.
        separable: Depthwise separable ASPP convolutions (the paper's).
        **kwargs: Of mmseg's ``BaseDecodeHead`` (``in_channels`` a list,
            one per level; ``in_index`` the levels).
    """

    def __init__(self, embed_dims: int = 256, dilations: Sequence[int] = (1, 6, 12, 18),
                 separable: bool = True, **kwargs) -> None:
        super().__init__(input_transform='multiple_select', **kwargs)
        if self.align_corners:
            raise ValueError('DAFormerHead: align_corners must be False (as the authors)')
        self.embed = nn.ModuleList(nn.Linear(c, embed_dims) for c in self.in_channels)
        aspp = DepthwiseSeparableASPPModule if separable else ASPPModule
        self.fusion = aspp(dilations=tuple(dilations), in_channels=embed_dims * len(self.embed),
                           channels=self.channels, conv_cfg=self.conv_cfg,
                           norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.bottleneck = ConvModule(len(dilations) * self.channels, self.channels, 3,
                                     padding=1, conv_cfg=self.conv_cfg,
                                     norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)

    def _embed(self, feats: List[Tensor]) -> Tensor:
        """Per-level linear embeddings at the first level's size, concatenated."""
        size = feats[0].shape[2:]
        out = []
        for layer, f in zip(self.embed, feats):
            n, _, h, w = f.shape
            e = layer(f.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(n, -1, h, w)
            if e.shape[2:] != size:
                e = resize(e, size=size, mode='bilinear', align_corners=self.align_corners)
            out.append(e)
        return torch.cat(out, dim=1)

    def forward(self, inputs) -> Tensor:
        """Logits at the first level's resolution (stride 4 on MiT)."""
        x = self._embed(self._transform_inputs(inputs))
        x = self.bottleneck(torch.cat(self.fusion(x), dim=1))
        return self.cls_seg(x)
