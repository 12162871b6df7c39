import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mmada.active.annotation_io import (AnnotationError, export_queries,
                                        import_annotations, relative_name)
from mmada.active.label_store import LabelStore, LabelStoreError
from tests.helpers.stores import file_tree

C = 4
SHAPE = (3, 4)
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KEYS = ['leftImg8bit/x/a_leftImg8bit.png', 'leftImg8bit/y/b_leftImg8bit.jpg']
# key -> queried flat pixels
QUERIES = {KEYS[0]: [0, 5, 11], KEYS[1]: [2]}
GT = {
    KEYS[0]: np.array([[0, 1, 2, 3], [1, 255, 2, 3], [0, 0, 1, 2]], np.uint8),
    KEYS[1]: np.array([[3, 3, 1, 3], [3, 3, 3, 3], [2, 2, 2, 2]], np.uint8),
}


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def store(tmp_path):
    store = LabelStore(str(tmp_path / 'work_dir' / 'active_labels'), C)
    store.save_queries(
        1, {k: (SHAPE, v)
            for k, v in QUERIES.items()},
        dict(units=4),
        excluded={KEYS[0]: [0, 1]})
    return store


def annotate(manifest_path, ann_dir):
    """A simulated annotator: GT values at the queried pixels, 255 else."""
    manifest = json.load(open(manifest_path))
    for image in manifest['images']:
        labels = np.full(image['shape'], 255, np.uint8)
        for row, col in image['coords']:
            labels[row, col] = GT[image['key']][row, col]
        path = osp.join(ann_dir, image['annotation'])
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(labels).save(path)


def test_relative_name():
    assert relative_name('a/b/c.jpg') == 'a/b/c.png'
    assert relative_name('/data/../x/./y.png') == 'data/x/y.png'
    with pytest.raises(AnnotationError):
        relative_name('..')


def test_export_writes_masks_and_manifest(store, tmp_path):
    out = str(tmp_path / 'export')
    path = export_queries(store, 1, out, {KEYS[0]: '/data/a.png'})
    manifest = json.load(open(path))
    assert manifest['round'] == 1 and manifest['num_classes'] == C
    assert manifest['budget'] == dict(pixels=4, units=4)
    first, second = manifest['images']
    assert first['key'] == KEYS[0] and first['image'] == '/data/a.png'
    assert second['image'] == KEYS[1]  # no path given: the key
    assert first['coords'] == [[0, 0], [1, 1], [2, 3]]
    assert second['annotation'] == 'leftImg8bit/y/b_leftImg8bit.png'
    mask = np.asarray(Image.open(osp.join(out, first['mask'])))
    expected = np.zeros(12, np.uint8)
    expected[QUERIES[KEYS[0]]] = 255
    np.testing.assert_array_equal(mask.ravel(), expected)


def test_export_import_round_trip(store, tmp_path):
    out, ann = str(tmp_path / 'export'), str(tmp_path / 'ann')
    annotate(export_queries(store, 1, out), ann)
    digest = import_annotations(store, 1, ann)
    assert digest == store.digest() and store.current_round == 1
    first = store.read(KEYS[0])
    labels = first.labels.ravel()
    assert np.flatnonzero(first.rounds.ravel()).tolist() == [0, 5, 11]
    # pixel 5 is void in the ground truth: spent, unlabelled
    assert labels[[0, 5, 11]].tolist() == [0, 255, 2]
    assert (np.delete(labels, [0, 5, 11]) == 255).all()
    assert np.flatnonzero(first.excluded).tolist() == [0, 1]
    assert store.read(KEYS[1]).labels.ravel()[2] == 1
    assert store.class_counts().tolist() == [1, 1, 1, 0]
    assert store.budget_spent() == dict(pixels=4, units=4)
    assert store.round_records()[0]['meta']['oracle'] == 'import'


def _write(ann, key, array=None, raw=None):
    path = osp.join(ann, relative_name(key))
    os.makedirs(osp.dirname(path), exist_ok=True)
    if raw is not None:
        with open(path, 'wb') as f:
            f.write(raw)
    else:
        Image.fromarray(array).save(path)
    return path


def _answer(key, **changes):
    labels = np.full(SHAPE, 255, np.uint8)
    labels.ravel()[QUERIES[key]] = GT[key].ravel()[QUERIES[key]]
    for index, value in changes.get('set', {}).items():
        labels.ravel()[index] = value
    return labels


BAD_IMPORTS = {
    'wrong shape': (lambda ann: _write(ann, KEYS[1], np.full((4, 3), 255,
                                                              np.uint8)),
                    r'b_leftImg8bit.png: shape \(4, 3\) differs'),
    'unknown class': (lambda ann: _write(
        ann, KEYS[1], _answer(KEYS[1], set={2: 7})),
                      r'b_leftImg8bit.png: 1 queried pixel\(s\) hold unknown '
                      r'class ids .* e.g. 7 at \[row 0, col 2\]'),
    'outside queries': (lambda ann: _write(
        ann, KEYS[1], _answer(KEYS[1], set={3: 1})),
                        r'b_leftImg8bit.png: 1 labelled pixel\(s\) outside '
                        r'the queried pixels .* \[row 0, col 3\]'),
    'missing file': (lambda ann: os.remove(
        osp.join(ann, relative_name(KEYS[1]))),
                     r'b_leftImg8bit.png: missing'),
    'corrupt png': (lambda ann: _write(ann, KEYS[1], raw=b'\x89PNG junk'),
                    r'b_leftImg8bit.png: cannot be parsed'),
    'rgb png': (lambda ann: _write(ann, KEYS[1], np.zeros(SHAPE + (3, ),
                                                          np.uint8)),
                r'b_leftImg8bit.png: expected a single-channel PNG'),
    'unknown image': (lambda ann: _write(ann, 'z/other.png',
                                         np.full(SHAPE, 255, np.uint8)),
                      r'z/other.png: not an image of the queries of round 1'),
}


@pytest.mark.parametrize('problem', sorted(BAD_IMPORTS))
def test_bad_imports_leave_the_store_unchanged(store, tmp_path, problem):
    ann = str(tmp_path / 'ann')
    for key in KEYS:
        _write(ann, key, _answer(key))
    spoil, match = BAD_IMPORTS[problem]
    spoil(ann)
    before = file_tree(store.root)
    with pytest.raises(AnnotationError, match=match) as info:
        import_annotations(store, 1, ann)
    assert 'label store is unchanged' in str(info.value)
    assert file_tree(store.root) == before
    assert store.current_round == 0


def test_every_problem_is_listed(store, tmp_path):
    ann = str(tmp_path / 'ann')
    _write(ann, KEYS[0], _answer(KEYS[0], set={0: 9}))
    with pytest.raises(AnnotationError, match='2 problem') as info:
        import_annotations(store, 1, ann)
    assert 'a_leftImg8bit.png: 1 queried' in str(info.value)
    assert 'b_leftImg8bit.png: missing' in str(info.value)


def test_wrong_round_rejected(store, tmp_path):
    ann = str(tmp_path / 'ann')
    for key in KEYS:
        _write(ann, key, _answer(key))
    before = file_tree(store.root)
    with pytest.raises(AnnotationError, match='only round 1 can be imported'):
        import_annotations(store, 2, ann)
    assert file_tree(store.root) == before
    import_annotations(store, 1, ann)
    with pytest.raises(AnnotationError, match='1 committed round'):
        import_annotations(store, 1, ann)  # twice
    with pytest.raises(LabelStoreError, match='no queries saved for round 2'):
        import_annotations(store, 2, ann)


def test_tools_round_trip(store, tmp_path, capsys):
    export_tool = load_tool('export_queries')
    import_tool = load_tool('import_annotations')
    out, ann = str(tmp_path / 'export'), str(tmp_path / 'ann')
    work_dir = osp.dirname(store.root)
    assert export_tool.main([work_dir, '--out', out]) == 0  # pending round
    manifest = json.load(open(osp.join(out, 'manifest.json')))
    assert manifest['round'] == 1
    annotate(osp.join(out, 'manifest.json'), ann)
    _write(ann, KEYS[1], _answer(KEYS[1], set={0: 2}))
    assert import_tool.main([store.root, '--round', '1', ann]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and err.count('\n') == 1
    assert 'outside the queried pixels' in err
    _write(ann, KEYS[1], _answer(KEYS[1]))
    assert import_tool.main([store.root, '--round', '1', ann]) == 0
    assert LabelStore(store.root).current_round == 1
    assert export_tool.main([str(tmp_path), '--round', '1', '--out',
                             out]) == 1
    assert 'no label store' in capsys.readouterr().err


@pytest.mark.e2e
def test_tool_exit_code_from_the_command_line(store, tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'export_queries.py'),
         store.root, '--round', '5', '--out', str(tmp_path / 'x')],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().startswith('error: no queries saved for '
                                            'round 5')
