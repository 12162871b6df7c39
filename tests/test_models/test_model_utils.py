"""decode_head_features: logits identical to forward, features before the classifier."""
import pytest
import torch
from mmseg.models.decode_heads import ASPPHead, DepthwiseSeparableASPPHead, PSPHead

from mmada.models.heads import ASPPV2Head
from mmada.models.utils import decode_head_features


def _inputs(channels=(8, 16)):
    torch.manual_seed(0)
    return [torch.randn(2, channels[0], 16, 16), torch.randn(2, channels[1], 8, 8)]


def test_deeplabv3plus_features_are_sep_bottleneck_output():
    head = DepthwiseSeparableASPPHead(in_channels=16, in_index=1, channels=8, c1_in_channels=8,
                                      c1_channels=4, dilations=(1, 2), num_classes=5).eval()
    inputs = _inputs()
    logits, feats = decode_head_features(head, inputs)
    assert torch.equal(logits, head(inputs))
    assert feats.shape == (2, 8, 16, 16)  # `channels`-d map at the c1 (stride-4) resolution
    assert torch.equal(head.conv_seg(feats), logits)


def test_aspp_v2_features_are_the_classifier_input():
    head = ASPPV2Head(in_channels=16, in_index=1, num_classes=5, dilations=(1, 2)).eval()
    inputs = _inputs()
    logits, feats = decode_head_features(head, inputs)
    assert torch.equal(logits, head(inputs)) and torch.equal(feats, inputs[1])


def test_generic_forward_feature_heads():
    head = ASPPHead(in_channels=16, in_index=1, channels=8, dilations=(1, 2), num_classes=5).eval()
    inputs = _inputs()
    logits, feats = decode_head_features(head, inputs)
    assert torch.equal(logits, head(inputs)) and feats.shape == (2, 8, 8, 8)


def test_unknown_head_is_refused():
    class Opaque(PSPHead):
        def forward(self, inputs):  # not _forward_feature + cls_seg
            return super().forward(inputs) * 2
    head = Opaque(in_channels=16, in_index=1, channels=8, num_classes=5, pool_scales=(1, 2))
    with pytest.raises(TypeError, match='forward_with_features'):
        decode_head_features(head, _inputs())
