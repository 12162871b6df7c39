"""Scorers written as a user would: one registered class each, used through configs.

* ``KLScorer``: main and auxiliary head (ADA-MCU-like).
* ``AnchorDistanceScorer``: a pool-level scorer (MADA-like): ``prepare_round``
  runs a source pass and a target pass over decoder features, keeps the mean
  feature of each pool as its state (saved in checkpoints), and scores pixels
  by their feature distance to the source mean. When ``MMADA_TEST_LOG`` is set,
  it appends what it computed and what it restored to that file.
"""
import json
import os

import torch
import torch.nn.functional as F

from mmada.active.base import BaseScorer
from mmada.registry import SCORERS


@SCORERS.register_module()
class KLScorer(BaseScorer):
    """KL(p_main || p_aux) per pixel."""
    inputs = ('probs', 'aux_probs')

    def __call__(self, probs, aux_probs, ctx):
        return (probs * (probs.clamp_min(1e-12).log() - aux_probs.clamp_min(1e-12).log())).sum(0)


def _log(record):
    path = os.environ.get('MMADA_TEST_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')


@SCORERS.register_module()
class AnchorDistanceScorer(BaseScorer):
    """Distance of each pixel's feature to the mean source feature."""
    inputs = ('feats', 'probs')

    def __init__(self):
        self.anchors = None

    def prepare_round(self, info):
        def mean_feat(idx, out):
            return out['feats'].mean((1, 2)).cpu()
        source = info.passes.run('source', ['feats', 'gt_sem_seg'], mean_feat)
        target = info.passes.run('target', ['feats'], mean_feat)
        self.anchors = torch.stack([torch.stack(list(source.values())).mean(0),
                                    torch.stack(list(target.values())).mean(0)])
        _log(dict(event='computed', round=info.round_index, num_source=len(source),
                  num_target=len(target), anchors=self.anchors.sum().item()))

    def state_dict(self):
        return {} if self.anchors is None else dict(anchors=self.anchors.clone())

    def load_state_dict(self, state):
        self.anchors = state.get('anchors')
        _log(dict(event='restored', anchors=None if self.anchors is None else self.anchors.sum().item()))

    def __call__(self, feats, probs, ctx):
        dist = (feats - self.anchors[0].to(feats)[:, None, None]).pow(2).sum(0)
        return F.interpolate(dist[None, None], size=probs.shape[1:], mode='nearest')[0, 0]
