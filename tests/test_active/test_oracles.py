import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmada.active.label_store import LabelStore
from mmada.active.oracles import (ExportOracle, GroundTruthOracle,
                                  OracleError)
from mmada.registry import ORACLES

C = 19
SHAPE = (4, 5)


def ground_truth():
    """Distinct values everywhere: 0..18 are classes, 19.. and 255 void."""
    gt = np.arange(20, dtype=np.uint8).reshape(SHAPE)
    gt[3, 4] = 255
    return gt


@pytest.fixture
def gt_file(tmp_path):
    path = str(tmp_path / 'city_000000_labelTrainIds.png')
    Image.fromarray(ground_truth()).save(path)
    return path


@pytest.mark.parametrize('as_mapping', [True, False])
def test_only_queried_pixels_are_returned(gt_file, as_mapping):
    loader = {'img.png': gt_file} if as_mapping else (lambda key: gt_file)
    oracle = GroundTruthOracle(loader, num_classes=C)
    answers = oracle('img.png', SHAPE, np.array([7, 2, 18]))
    assert answers.dtype == np.uint8
    assert answers.tolist() == [7, 2, 18]  # in query order, nothing else
    assert oracle('img.png', SHAPE, np.array([], np.int64)).tolist() == []


def test_void_pixels_are_answered_as_ignore(gt_file):
    oracle = GroundTruthOracle({'img.png': gt_file}, num_classes=C)
    # 19 is not a class (C = 19), 255 is void
    assert oracle('img.png', SHAPE, [19, 18]).tolist() == [255, 18]


def test_unqueried_ground_truth_never_reaches_the_store(gt_file, tmp_path):
    store = LabelStore(str(tmp_path / 'store'), C)
    store.save_queries(1, {'img.png': (SHAPE, [3, 11, 19])},
                       dict(units=3), excluded={'img.png': [3, 4]})
    oracle = ORACLES.build(
        dict(type='GroundTruthOracle', gt_loader={'img.png': gt_file}))
    with pytest.raises(OracleError, match='needs num_classes'):
        oracle('img.png', SHAPE, [0])
    with pytest.raises(OracleError, match='5 classes'):
        GroundTruthOracle({}, 5).answer_round(store, 1)
    updates = GroundTruthOracle({'img.png': gt_file}, C).answer(
        store.load_queries(1))
    assert updates['img.png'].pixels.tolist() == [3, 11, 19]
    assert updates['img.png'].labels.tolist() == [3, 11, 255]
    digest = oracle.answer_round(store, 1)  # num_classes from the store
    assert oracle.num_classes == C
    assert digest == store.digest() and store.current_round == 1
    labels = store.read('img.png').labels.ravel()
    assert np.flatnonzero(labels != 255).tolist() == [3, 11]
    assert labels[[3, 11]].tolist() == [3, 11]
    assert store.budget_spent() == dict(pixels=3, units=3)
    assert store.num_labelled() == 2
    assert store.round_records()[0]['meta']['oracle'] == 'GroundTruthOracle'
    assert np.flatnonzero(store.read('img.png').excluded).tolist() == [3, 4]


def test_errors_name_the_problem(gt_file, tmp_path):
    oracle = GroundTruthOracle({'img.png': gt_file}, num_classes=C)
    with pytest.raises(OracleError, match='shape'):
        oracle('img.png', (5, 4), [0])
    with pytest.raises(OracleError, match='out of range'):
        oracle('img.png', SHAPE, [20])
    with pytest.raises(OracleError, match="no ground-truth file known for "
                       "image 'other.png'"):
        oracle('other.png', SHAPE, [0])
    missing = GroundTruthOracle(lambda k: str(tmp_path / 'nope.png'), C)
    with pytest.raises(OracleError, match='not found'):
        missing('img.png', SHAPE, [0])
    rgb = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros(SHAPE + (3, ), np.uint8)).save(rgb)
    with pytest.raises(OracleError, match='single-channel'):
        GroundTruthOracle({'img.png': rgb}, C)('img.png', SHAPE, [0])
    with pytest.raises(TypeError, match='function or a mapping'):
        GroundTruthOracle('labels/', C)


def test_export_oracle_leaves_the_round_pending(tmp_path):
    store = LabelStore(str(tmp_path / 'store'), C)
    store.save_queries(1, {'a/img.png': (SHAPE, [0, 6])})
    oracle = ORACLES.build(
        dict(type='ExportOracle', out_dir=str(tmp_path / 'export'),
             image_paths={'a/img.png': '/data/a/img.png'}))
    assert oracle.answer_round(store, 1) is None
    assert store.current_round == 0
    out = tmp_path / 'export' / 'round_0001'
    assert osp.isfile(out / 'manifest.json')
    mask = np.asarray(Image.open(out / 'masks' / 'a' / 'img.png'))
    assert np.flatnonzero(mask).tolist() == [0, 6]
    assert ExportOracle().answer_round(store, 1) is None  # keep in store
