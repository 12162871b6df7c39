"""DAFormer's network and feature distance: head on MiT, FD math, missing ImageNet weights."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmada.models.losses import (ImageNetFeatureDistanceLoss, downscale_label_ratio,
                                 masked_feature_distance)
from mmada.registry import MODELS
from mmada.utils.config import prepare_cfg
from mmada.utils.errors import UserFacingError
from tests.conftest import ROOT

TINY = 'configs/daformer/daformer_mit-tiny_1xb2-900_synthetic-128x256.py'
GTA = 'configs/daformer/daformer_mit-b5_1xb2-40k_gta2cs-512x512.py'


def _tiny_backbone():
    return Config.fromfile(osp.join(ROOT, 'configs/_base_/models/daformer_mit_tiny.py')).model


def test_tiny_mit_with_the_daformer_head_predicts_at_stride_4():
    cfg = Config.fromfile(osp.join(ROOT, TINY))
    with DefaultScope.overwrite_default_scope('mmada'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        out = model.decode_head(model.extract_feat(torch.randn(2, 3, 64, 128)))
    assert out.shape == (2, 19, 16, 32)
    head = model.decode_head
    assert len(head.fusion) == 4 and len(head.embed) == 4  # one ASPP branch per dilation
    assert head.bottleneck.conv.in_channels == 4 * 64


def test_downscale_label_ratio_by_hand():
    labels = torch.tensor([[[1, 1, 2, 2],
                            [1, 1, 2, 255],
                            [3, 3, 255, 255],
                            [3, 0, 255, 255]]])
    # cells: four 1s -> 1; 2,2,2,ign -> 2 (share 3/4); 3,3,3,0 -> 3 (3/4); all ignored -> 255
    assert downscale_label_ratio(labels, 2, 0.75, 4).tolist() == [[[1, 2], [3, 255]]]
    assert downscale_label_ratio(labels, 2, 0.8, 4).tolist() == [[[1, 255], [255, 255]]]


def test_masked_feature_distance_by_hand():
    a = torch.zeros(1, 2, 1, 2)
    b = torch.tensor([[[[3., 0.]], [[4., 1.]]]])  # distances 5 and 1
    assert masked_feature_distance(a, b).item() == 3.0
    assert masked_feature_distance(a, b, torch.tensor([[[True, False]]])).item() == 5.0
    assert masked_feature_distance(a, b, torch.zeros(1, 1, 2, dtype=torch.bool)).item() == 0.0


def test_fd_is_the_distance_to_the_frozen_imagenet_copy(tmp_path):
    backbone = dict(_tiny_backbone().backbone)
    with DefaultScope.overwrite_default_scope('mmada'):
        imagenet = MODELS.build(backbone)
    path = str(tmp_path / 'imagenet.pth')
    torch.save(imagenet.state_dict(), path)
    backbone['init_cfg'] = dict(type='ImageNetPretrained', checkpoint=path)
    with DefaultScope.overwrite_default_scope('mmada'):
        loss = ImageNetFeatureDistanceLoss(backbone=backbone, classes=(1, ))
        student = MODELS.build(dict(_tiny_backbone().backbone))
    for t, s in zip(loss.imnet.state_dict().values(), imagenet.state_dict().values()):
        assert torch.equal(t, s)
    loss.train()
    assert not loss.imnet.training and not any(p.requires_grad for p in loss.imnet.parameters())
    img = torch.randn(1, 3, 64, 64)
    labels = torch.zeros(1, 64, 64, dtype=torch.long)
    labels[:, :32, :32] = 1  # the top-left quarter is the thing class
    feats = student(img)
    value = loss(img=img, feats=feats, gt_sem_seg=labels)
    with torch.no_grad():
        ref = imagenet(img)[-1]
    dist = torch.norm(feats[-1] - ref, dim=1)  # (1, 2, 2) at stride 32
    torch.testing.assert_close(value, dist[0, 0, 0])
    value.backward()
    assert next(student.parameters()).grad is not None


def test_fd_refuses_a_backbone_without_imagenet_weights():
    with pytest.raises(ValueError, match='Pretrained'):
        ImageNetFeatureDistanceLoss(backbone=dict(_tiny_backbone().backbone))


def test_missing_mit_weights_stop_before_anything_is_built(tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, GTA))
    cfg.work_dir = str(tmp_path)
    with pytest.raises(UserFacingError) as err:
        prepare_cfg(cfg)
    text = str(err.value)
    assert 'pretrain/mit_b5.pth' in text and osp.abspath('pretrain/mit_b5.pth') in text
    assert 'model.backbone.init_cfg.checkpoint' in text
    assert 'model.extra_losses.1.backbone.init_cfg.checkpoint' in text  # the FD's copy
