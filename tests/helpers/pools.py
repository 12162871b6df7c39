"""A tiny DeepLab-v2 segmentor and in-memory target pools for round-engine tests."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'configs/_base_/models/deeplabv2_r18_tiny.py')


def tiny_segmentor(aux: bool):
    """The tiny DeepLab-v2 (with the layer-3 auxiliary head if ``aux``), seeded, in eval mode."""
    init_default_scope('mmada')
    cfg = Config.fromfile(TINY)
    if aux:
        cfg.model.auxiliary_head = cfg.layer3_aux_head
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def sample(seed: int, shape=(40, 72), gt=False) -> dict:
    """One random image (and random labels if ``gt``) as a data-loader sample."""
    g = torch.Generator().manual_seed(seed)
    img = torch.randint(0, 256, (3, ) + shape, generator=g, dtype=torch.uint8)
    ds = SegDataSample(metainfo=dict(ori_shape=shape, img_shape=shape, pad_shape=shape))
    if gt:
        ds.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, ) + shape, generator=g))
    return dict(inputs=img, data_samples=ds)


def batch(samples):
    """Samples collated as the data preprocessor expects them."""
    return dict(inputs=[s['inputs'] for s in samples],
                data_samples=[s['data_samples'] for s in samples])


class Pool:
    """A pool of random images of the given sizes (``PoolPass``'s input)."""
    name = 'target'

    def __init__(self, sizes):
        self.sizes = list(sizes)

    def __len__(self):
        return len(self.sizes)

    def sample(self, idx):
        return sample(idx, self.sizes[idx])


class PoolDataset:
    """The dataset behind a :class:`TargetPool`: keys, paths and class names."""
    def __init__(self, n):
        self.n = n
        self.metainfo = dict(classes=tuple(f'c{i}' for i in range(19)))

    def key(self, idx):
        return f'img_{idx}.png'

    def img_path(self, idx):
        return self.key(idx)


class TargetPool(Pool):
    """A :class:`Pool` with a dataset, as an acquisition round reads it."""
    def __init__(self, sizes):
        super().__init__(sizes)
        self.dataset = PoolDataset(len(sizes))

    def shapes(self):
        return self.sizes
