"""Model helpers shared by training losses and acquisition.

:func:`decode_head_features` runs a decode head and also returns the feature
map right before its classifier (the "decoder features" of MADA's anchors,
ADA-MCU's contrastive units, ...), with exactly the operations of the head's
own ``forward`` so the logits are bit-identical.
"""
from typing import Callable, Dict, List, Sequence, Tuple, Type

import torch
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.models.utils import resize
from torch import Tensor, nn

#: Feature extractors of heads whose ``forward`` does not go through
#: ``_forward_feature``: head class -> fn(head, inputs) -> (logits, feats).
_EXTRACTORS: Dict[Type[nn.Module], Callable] = {}


def register_feature_extractor(head_type: Type[nn.Module]):
    """Register how to get a head's pre-classifier features (a decorator).

    Args:
        head_type: Decode head class the function applies to (and its
            subclasses that do not override ``forward``).

    Returns:
        Callable: The decorator.
    """
    def wrap(fn: Callable) -> Callable:
        _EXTRACTORS[head_type] = fn
        return fn
    return wrap


@register_feature_extractor(DepthwiseSeparableASPPHead)
def _deeplabv3plus_features(head, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
    """DeepLab-v3+: the 256-d output of ``sep_bottleneck`` (mmseg 1.x forward)."""
    x = head._transform_inputs(inputs)
    aspp_outs = [resize(head.image_pool(x), size=x.size()[2:], mode='bilinear',
                        align_corners=head.align_corners)]
    aspp_outs.extend(head.aspp_modules(x))
    output = head.bottleneck(torch.cat(aspp_outs, dim=1))
    if head.c1_bottleneck is not None:
        c1_output = head.c1_bottleneck(inputs[0])
        output = resize(input=output, size=c1_output.shape[2:], mode='bilinear',
                        align_corners=head.align_corners)
        output = torch.cat([output, c1_output], dim=1)
    feats = head.sep_bottleneck(output)
    return head.cls_seg(feats), feats


def _defining_class(head: nn.Module, name: str) -> type:
    """The class in ``type(head).__mro__`` that defines attribute ``name``."""
    for cls in type(head).__mro__:
        if name in vars(cls):
            return cls
    return object


def decode_head_features(head: nn.Module,
                         inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
    """Logits of a decode head and the features its classifier sees.

    Resolution order: the head's own ``forward_with_features`` (mmada's
    heads, e.g. :class:`~mmada.models.heads.ASPPV2Head`), a registered
    extractor (DeepLab-v3+), or mmseg's ``_forward_feature`` + ``cls_seg``
    when ``forward`` is exactly that (the class defining ``_forward_feature``
    is the one defining ``forward`` or a subclass of it).

    Args:
        head: A decode or auxiliary head.
        inputs: Backbone (neck) feature maps, as given to ``head.forward``.

    Returns:
        tuple[Tensor, Tensor]: (B, C, h, w) logits, bit-identical to
        ``head(inputs)``, and (B, D, h', w') pre-classifier features.

    Raises:
        TypeError: If the head's pre-classifier features are unknown.
    """
    if hasattr(head, 'forward_with_features'):
        return head.forward_with_features(inputs)
    for cls in type(head).__mro__:
        if cls in _EXTRACTORS and _defining_class(head, 'forward') is cls:
            return _EXTRACTORS[cls](head, inputs)
    if hasattr(head, '_forward_feature') and issubclass(
            _defining_class(head, '_forward_feature'), _defining_class(head, 'forward')):
        feats = head._forward_feature(inputs)
        return head.cls_seg(feats), feats
    raise TypeError(
        f'{type(head).__name__} does not expose the features before its classifier: '
        'give it a forward_with_features(inputs) -> (logits, feats) method, or register '
        'an extractor with mmada.models.utils.register_feature_extractor')


def aux_heads(segmentor: nn.Module) -> List[nn.Module]:
    """The auxiliary heads of an encoder-decoder, as a list (maybe empty)."""
    if not getattr(segmentor, 'with_auxiliary_head', False):
        return []
    if isinstance(segmentor.auxiliary_head, nn.ModuleList):
        return list(segmentor.auxiliary_head)
    return [segmentor.auxiliary_head]
