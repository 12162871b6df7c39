"""A tiny two-domain segmentor and data samples for in-process model tests."""
import itertools
import os.path as osp

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_LOGGERS = itertools.count()


def build_model(**overrides):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py'))
    # Frozen BN (eval statistics) so one pass over both domains equals two.
    cfg.model.backbone.norm_cfg = dict(type='BN', requires_grad=False)
    cfg.model.backbone.norm_eval = True
    cfg.model.update(overrides)
    with DefaultScope.overwrite_default_scope('mmada'):
        model = MODELS.build(cfg.model)
    # init_weights logs to MMLogger's latest instance: a fresh one, not the
    # logger of a runner an earlier test in this process finished (its file
    # handler is closed).
    MMLogger.get_instance(f'build_model_{next(_LOGGERS)}')
    model.init_weights()
    model.train()
    return model


def samples(labels):
    out = []
    for lab in labels:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=lab[None].long())
        s.set_metainfo(dict(img_shape=lab.shape, ori_shape=lab.shape, pad_shape=lab.shape))
        out.append(s)
    return out
