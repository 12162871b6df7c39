"""SYNTHIA -> Cityscapes is a 16-class problem end to end (RIPU Table 2, CBDA
appendix C): model outputs, source labels, acquired target labels (terrain,
truck and train -> ignore), CBDA's class count and the evaluation."""
import glob
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmada.datasets.utils import CITYSCAPES_CLASSES, SYNTHIA_16_CLASSES
from tests.conftest import ROOT
from tests.helpers.datasets import make_cityscapes, make_synthia, run_converter
from tests.helpers.real_configs import (
    loader_cfg, override_config, resize_options, round_one, SHORT, TINY_V2_MODEL, train)

SYNTHIA_CONFIGS = sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '*', '*synthia2cs*.py'))
    if osp.basename(osp.dirname(p)) != 'pipelines')  # pipeline files hold no model
RA = osp.join(ROOT, 'configs/ripu/ripu_deeplabv2_r101_1xb2-40k_synthia2cs-1280x640_ra2.2pct.py')
# Cityscapes train id -> SYNTHIA-space id (255: terrain, truck, train).
TO16 = np.full(256, 255, np.uint8)
for old, name in enumerate(CITYSCAPES_CLASSES):
    if name in SYNTHIA_16_CLASSES:
        TO16[old] = SYNTHIA_16_CLASSES.index(name)


def _datasets(cfg):
    loaders = [cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader]
    found = []

    def visit(node):
        if isinstance(node, dict):
            if 'data_root' in node:
                found.append(node)
            for v in node.values():
                visit(v)
    for loader in loaders:
        visit(loader)
    return found


@pytest.mark.parametrize('path', SYNTHIA_CONFIGS)
def test_every_synthia_config_is_16_classes(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    assert cfg.model.decode_head.num_classes == 16, path
    datasets = _datasets(cfg)
    assert datasets and all(list(d['metainfo']['classes']) == list(SYNTHIA_16_CLASSES)
                            for d in datasets), path
    ev = cfg.val_evaluator
    assert ev.type == 'SubsetIoUMetric' and len(ev.class_subsets['mIoU16']) == 16
    assert len(ev.class_subsets['mIoU13']) == 13 and cfg.test_evaluator == ev


@pytest.mark.e2e
def test_synthia_ra_config_trains_and_acquires_16_classes(tmp_path):
    syn = str(tmp_path / 'synthia')
    make_synthia(syn, n=2)
    assert run_converter('synthia', syn) == 0
    cs = str(tmp_path / 'cityscapes')
    make_cityscapes(cs, w=128, h=64, per_city=2)
    assert run_converter('cityscapes', cs) == 0
    config = override_config(
        tmp_path / 'synthia_tiny.py', RA, **SHORT, model=TINY_V2_MODEL,
        train_dataloader=loader_cfg(source=dict(data_root=syn),
                                 target=dict(dataset=dict(data_root=cs))),
        val_dataloader=loader_cfg(data_root=cs), test_dataloader=loader_cfg(data_root=cs))
    work = str(tmp_path / 'w')
    out = train(config, resize_options(RA), work)
    manifest = round_one(work)
    # The model predicts 16 classes.
    import torch
    state = torch.load(osp.join(work, 'iter_4.pth'), map_location='cpu',
                       weights_only=False)['state_dict']
    classifiers = [v for k, v in state.items() if k.startswith('decode_head') and
                   k.endswith('weight') and v.dim() == 4]
    assert classifiers and all(w.shape[0] == 16 for w in classifiers)
    # Acquired labels are the ground truth mapped to the 16 classes (a 19-class
    # answer would differ from sky = 10 on; terrain, truck and train -> 255).
    from mmada.active.label_store import LabelStore
    store = LabelStore(osp.join(work, 'active_labels'), num_classes=16)
    seen, dropped = 0, 0
    for gt_path in glob.glob(osp.join(cs, 'gtFine', 'train', '*', '*_labelTrainIds.png')):
        city = osp.basename(osp.dirname(gt_path))
        key = osp.join(city, osp.basename(gt_path).replace('gtFine_labelTrainIds', 'leftImg8bit'))
        gt = np.asarray(Image.open(gt_path))
        labels = store.read(key, gt.shape).labels
        queried = labels != 255
        assert (labels[queried] < 16).all()
        assert np.array_equal(labels[queried], TO16[gt[queried]])
        seen += int(queried.sum())
        dropped += int(np.isin(gt, [9, 14, 16]).sum())
    # The fixture has terrain / truck / train pixels, so the map matters.
    assert seen > 0 and dropped > 0
    assert manifest['totals']['labelled'] == seen <= manifest['totals']['pixels']
    # Evaluation over the 16 classes: mIoU16 reported, no terrain row.
    assert 'mIoU16' in out and 'mIoU13' in out
    table = out[out.rindex('per class results'):]
    rows = re.findall(r'^\|\s+([a-z ]+?)\s+\|', table, flags=re.M)
    assert rows == list(SYNTHIA_16_CLASSES), rows


def test_oracle_answers_in_the_dataset_label_space(tmp_path):
    from mmada.active.oracles import GroundTruthOracle
    from mmseg.datasets import BaseSegDataset
    path = str(tmp_path / 'gt.png')
    # sky (10), terrain (9), truck (14), road (0), bicycle (18), void (255)
    Image.fromarray(np.array([[10, 9, 14, 0, 18, 255]], np.uint8)).save(path)
    label_map = BaseSegDataset.get_label_map.__func__(
        type('CS', (), dict(METAINFO=dict(classes=CITYSCAPES_CLASSES))), SYNTHIA_16_CLASSES)
    oracle = GroundTruthOracle({'a': path}, num_classes=16, label_map=label_map)
    # sky -> 9, terrain / truck -> ignored, road -> 0, bicycle -> 15, void stays void
    assert oracle('a', (1, 6), np.arange(6)).tolist() == [9, 255, 255, 0, 15, 255]
    plain = GroundTruthOracle({'a': path}, num_classes=16)
    assert plain('a', (1, 6), np.arange(6)).tolist() == [10, 9, 14, 0, 255, 255]
