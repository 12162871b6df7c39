"""DAFormer's thing-class ImageNet feature distance (FD; Hoyer et al., CVPR 2022, Sec. 3.2)."""
import copy
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmada.registry import MODELS
from .base import BaseDomainLoss

#: Cityscapes train ids of DAFormer's thing classes (the authors' config):
#: traffic light, traffic sign, person, rider, car, truck, bus, train,
#: motorcycle, bicycle.
CITYSCAPES_THING_CLASSES = (6, 7, 11, 12, 13, 14, 15, 16, 17, 18)


def downscale_label_ratio(labels: Tensor, scale: int, min_ratio: float, num_classes: int,
                          ignore_index: int = 255) -> Tensor:
    """Labels at ``1 / scale`` resolution: each cell's majority class, if it covers enough.

    The class with most pixels of each ``scale x scale`` cell (ignored pixels
    count as a class of their own), ``ignore_index`` where that share is
    below ``min_ratio`` or the majority is ignored (the authors'
    ``downscale_label_ratio``).

    Args:
        labels: (B, H, W) int64 labels.
        scale: Integer down-scaling factor (> 1).
        min_ratio: Least share of the majority class in a cell.
        num_classes: C.
        ignore_index: Unlabelled id.

    Returns:
        Tensor: (B, H // scale, W // scale) int64 labels.
    """
    if scale <= 1:
        raise ValueError(f'downscale_label_ratio: scale must be > 1, got {scale}')
    x = labels.clone()
    x[(x == ignore_index) | (x < 0) | (x >= num_classes)] = num_classes
    onehot = F.one_hot(x, num_classes + 1).permute(0, 3, 1, 2).float()
    ratio, cls = F.avg_pool2d(onehot, kernel_size=scale).max(1)
    cls[(cls == num_classes) | (ratio < min_ratio)] = ignore_index
    return cls


def masked_feature_distance(student: Tensor, reference: Tensor,
                            mask: Optional[Tensor] = None) -> Tensor:
    """Mean over the (masked) pixels of the L2 distance of two feature maps (FD, Eq. 4).

    Args:
        student: (B, D, h, w) features.
        reference: (B, D, h, w) features of the frozen ImageNet model.
        mask: (B, h, w) bool pixels to average over (default all).

    Returns:
        Tensor: Scalar; 0 when the mask is empty.
    """
    dist = torch.norm(student - reference, p=2, dim=1)
    if mask is not None:
        dist = dist[mask]
    if dist.numel() == 0:
        return student.sum() * 0
    return dist.mean()


def _pretrained_checkpoint(cfg: dict) -> Optional[str]:
    init = cfg.get('init_cfg') or {}
    if isinstance(init, dict) and init.get('type') in ('Pretrained', 'ImageNetPretrained'):
        return init.get('checkpoint')
    return None


@MODELS.register_module()
class ImageNetFeatureDistanceLoss(BaseDomainLoss):
    """FD: the source features of thing classes stay close to those of an ImageNet model.

    DAFormer (Sec. 3.2, Eqs. 4-5) regularises the encoder with the L2
    distance of its last feature map to that of a frozen copy of the
    ImageNet-pretrained encoder, on the feature pixels whose (down-scaled)
    source label is a thing class covering at least ``scale_min_ratio`` of
    the cell. The copy is built from ``backbone`` (the segmentor's backbone
    config) and loads, like the student, its ``init_cfg`` checkpoint (when
    the loss is built); it is never trained (no gradients, eval mode) and
    its weights are in the checkpoints, as in the authors' code. A backbone config without a ``Pretrained``
    ``init_cfg`` is refused: a random reference would pull the features
    towards noise.

    Args:
        backbone: Config of the backbone (with ``init_cfg=dict(type=
            'Pretrained', checkpoint=...)``).
        num_classes: C.
        classes: Thing classes (default: Cityscapes' of the authors).
        scale_min_ratio: Least share of a thing class in a feature cell
            (0.75).
        level: Feature level (-1: the last, as the authors).
        ignore_index: Unlabelled id.
        **kwargs: See :class:`BaseDomainLoss` (``domain='source'``,
            ``loss_weight`` = the authors' lambda_FD 0.005).
    """
    default_inputs = ('img', 'feats', 'gt_sem_seg')

    def __init__(self, backbone: dict, num_classes: int = 19,
                 classes: Optional[Sequence[int]] = CITYSCAPES_THING_CLASSES,
                 scale_min_ratio: float = 0.75, level: int = -1, ignore_index: int = 255,
                 domain: str = 'source', loss_name: str = 'loss_imnet_fd', **kwargs) -> None:
        super().__init__(domain=domain, loss_name=loss_name, **kwargs)
        if not _pretrained_checkpoint(backbone):
            raise ValueError(
                'ImageNetFeatureDistanceLoss: its backbone config has no '
                "init_cfg=dict(type='Pretrained', checkpoint=...): the feature distance needs "
                'the ImageNet weights the student starts from (set backbone.init_cfg of this '
                'loss, or drop the loss when training from scratch).')
        self.imnet = MODELS.build(copy.deepcopy(backbone))
        self.imnet.init_weights()  # the ImageNet weights, now: no runner init reaches a loss
        for p in self.imnet.parameters():
            p.requires_grad_(False)
        self.imnet.eval()
        self.num_classes = int(num_classes)
        self.classes = None if classes is None else tuple(int(c) for c in classes)
        self.scale_min_ratio, self.level = float(scale_min_ratio), int(level)
        self.ignore_index = ignore_index

    def train(self, mode: bool = True) -> 'ImageNetFeatureDistanceLoss':
        """The ImageNet copy stays in eval mode."""
        super().train(mode)
        self.imnet.eval()
        return self

    def thing_mask(self, labels: Tensor, size) -> Optional[Tensor]:
        """(B, h, w) feature pixels of thing classes (``None``: every pixel)."""
        if self.classes is None:
            return None
        scale = labels.shape[-1] // size[-1]
        small = downscale_label_ratio(labels, scale, self.scale_min_ratio, self.num_classes,
                                      self.ignore_index)
        small = small[:, :size[0], :size[1]]
        return torch.isin(small, torch.tensor(self.classes, device=labels.device))

    def forward(self, img: Tensor, feats, gt_sem_seg: Tensor) -> Tensor:
        """FD of the source batch (unweighted)."""
        with torch.no_grad():
            reference = self.imnet(img)[self.level].detach()
        student = feats[self.level]
        return masked_feature_distance(student, reference,
                                       self.thing_mask(gt_sem_seg, student.shape[2:]))
