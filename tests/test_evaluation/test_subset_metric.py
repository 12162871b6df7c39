"""SubsetIoUMetric on a hand-computed example (Cityscapes' 19 classes)."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmada.datasets.utils import (CITYSCAPES_CLASSES, SYNTHIA_13_CLASSES,
                                  SYNTHIA_16_CLASSES)
from mmada.evaluation import SubsetIoUMetric
from mmada.registry import METRICS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROAD, WALL, POLE, TERRAIN, SKY, CAR, TRUCK = 0, 3, 5, 9, 10, 13, 14

# 13 pixels; the last is unlabelled (255), so its prediction (pole) is ignored.
LABEL = [ROAD, ROAD, ROAD, ROAD, WALL, WALL, TERRAIN, TERRAIN, SKY, SKY, CAR,
         CAR, 255]
PRED = [ROAD, ROAD, ROAD, WALL, WALL, ROAD, TERRAIN, ROAD, SKY, SKY, CAR,
        TRUCK, POLE]
# By hand (intersection / union):
#   road 3/6, wall 1/3, terrain 1/2, sky 2/2, car 1/2, truck 0/1;
#   pole and the others have an empty union (NaN, left out of every mean).
MIOU19 = (1 / 2 + 1 / 3 + 1 / 2 + 1 + 1 / 2 + 0) / 6  # 6 classes with a union
MIOU16 = (1 / 2 + 1 / 3 + 1 + 1 / 2) / 4  # no terrain, truck (nor train)
MIOU13 = (1 / 2 + 1 + 1 / 2) / 3  # no wall, fence, pole either
AACC = 8 / 12


def _sample(pred, label):
    as_map = lambda x: dict(data=torch.tensor(x).view(1, 1, -1))  # noqa: E731
    return dict(pred_sem_seg=as_map(pred), gt_sem_seg=as_map(label))


def _metric(**subsets):
    metric = SubsetIoUMetric(class_subsets=subsets)
    metric.dataset_meta = dict(classes=CITYSCAPES_CLASSES)
    return metric


def _evaluate(metric, split_at=None):
    if split_at is None:
        metric.process({}, [_sample(PRED, LABEL)])
    else:  # two images
        metric.process({}, [_sample(PRED[:split_at], LABEL[:split_at]),
                            _sample(PRED[split_at:], LABEL[split_at:])])
    return metric.compute_metrics(metric.results)


@pytest.mark.parametrize('split_at', [None, 5])
def test_hand_computed_16_and_13(split_at):
    m = _evaluate(_metric(mIoU16=SYNTHIA_16_CLASSES,
                          mIoU13=SYNTHIA_13_CLASSES), split_at)
    assert m['aAcc'] == round(AACC * 100, 2)
    assert m['mIoU'] == round(MIOU19 * 100, 2)
    assert m['mIoU16'] == round(MIOU16 * 100, 2) == 58.33
    assert m['mIoU13'] == round(MIOU13 * 100, 2) == 66.67


def test_indices_equal_names_and_empty_subset():
    by_index = _metric(a=[ROAD, SKY], b=[TRUCK], c=[POLE])
    m = _evaluate(by_index)
    assert m['a'] == 75.0 and m['b'] == 0.0 and math.isnan(m['c'])
    by_name = _evaluate(_metric(a=['road', 'sky']))
    assert by_name['a'] == 75.0


def test_bad_subsets_are_refused():
    with pytest.raises(KeyError, match='lamppost'):
        _evaluate(_metric(x=['road', 'lamppost']))
    with pytest.raises(IndexError):
        _evaluate(_metric(x=[19]))
    with pytest.raises(ValueError, match='mIoU'):
        SubsetIoUMetric(iou_metrics=['mDice'])


def test_logs_per_class_and_subset_tables(capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('test_subset_metric', log_level='INFO')
    _evaluate(_metric(mIoU16=SYNTHIA_16_CLASSES, mIoU13=SYNTHIA_13_CLASSES))
    out = capsys.readouterr().out
    assert 'per class results' in out and 'traffic light' in out
    assert 'mIoU13' in out and 'wall, fence, pole' in out


def test_synthia_configs_use_the_paper_subsets():
    for lineage in ('ripu', 'mada'):
        cfg = Config.fromfile(osp.join(
            REPO, f'configs/_base_/datasets/synthia2cs_{lineage}.py'))
        metric = METRICS.build(cfg.val_evaluator)
        assert isinstance(metric, SubsetIoUMetric)
        assert tuple(metric.class_subsets['mIoU16']) == SYNTHIA_16_CLASSES
        assert tuple(metric.class_subsets['mIoU13']) == SYNTHIA_13_CLASSES
        assert len(SYNTHIA_16_CLASSES) == 16 and len(SYNTHIA_13_CLASSES) == 13
