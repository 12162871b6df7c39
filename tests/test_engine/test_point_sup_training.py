"""Active point supervision through the tools: a few iterations of the synthetic
config (round at iteration 0), the oracle only at the top-K patches' points and the
model's prediction (not the ground truth) as pseudo labels elsewhere, the K = 0
pseudo-label-only round, and the annotators' round trip of point queries."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmada.active import GridPointsUnit
from mmada.active.annotation_io import AnnotationError
from mmada.active.annotation_points import import_point_annotations
from mmada.active.engine import image_context
from mmada.active.label_store import LabelStore
from mmada.active.scorers import EntropyScorer
from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

NAME = 'deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
MAIN = f'configs/point_sup/point_sup_{NAME}'
H, W, K, N = 64, 128, 10, 5


@pytest.fixture(scope='module')
def trained(tmp_path_factory, bench_root):
    """The synthetic point-sup config, 2 iterations, its round before the first."""
    tmp = tmp_path_factory.mktemp('point_sup')
    cfg = tiny_config(MAIN, str(tmp), bench_root, max_iters=2, checkpoint_interval=2)
    work = str(tmp / 'w')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    return cfg, work, proc.stdout + proc.stderr


def _target(cfg):
    """The target training set with its ground truth (to check, never to train)."""
    from mmengine.registry import init_default_scope
    from mmada.registry import DATASETS
    init_default_scope('mmada')
    target = Config.fromfile(cfg).train_dataloader.dataset.target.dataset
    target.pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                       dict(type='PackSegInputs')]
    return DATASETS.build(target)


def _key(ds, i):
    """The label store's key of image ``i`` (ActiveTargetDataset.key)."""
    return osp.relpath(ds.get_data_info(i)['img_path'], ds.data_prefix['img_path'])


def test_a_few_iterations_with_points_and_pseudo_labels(trained):
    cfg, work, log = trained
    assert log.index('[active] round 1:') < log.index('Iter(train) [1/2]')
    assert '600 pixels queried in 12 images' in log  # 12 images x 10 patches x 5 points
    assert f'{12 * 118 * 5} pseudo-labelled pixels (not budget)' in log
    store = LabelStore(osp.join(work, 'active_labels'))
    assert store.budget_spent()['pixels'] == 12 * K * N
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    losses = [float(line.split('loss: ')[1].split()[0]) for line in log.splitlines()
              if 'Iter(train)' in line and 'loss: ' in line]
    assert len(losses) == 2 and all(np.isfinite(losses))


def test_oracle_at_top_k_points_only_and_the_prediction_elsewhere(trained, tmp_path):
    from mmseg.apis import inference_model, init_model
    cfg, work, _ = trained
    ckpt = osp.join(work, 'iter_2.pth')
    out = str(tmp_path / 'sel')
    run_tool(['tools/select.py', cfg, ckpt, '--work-dir', out])
    store = LabelStore(osp.join(out, 'active_labels'))
    ds = _target(cfg)
    model = init_model(Config.fromfile(cfg), ckpt, device='cpu')
    unit = GridPointsUnit(grid=(8, 16), points_per_patch=N, pseudo='points')
    wrong_pseudo = 0
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        gt = sample.gt_sem_seg.data[0].numpy()
        result = inference_model(model, sample.img_path)
        pred = result.pred_sem_seg.data[0].numpy()
        state = store.read(_key(ds, i), (H, W))
        # the top-K patches of the model's summed entropy, recomputed here
        probs = result.seg_logits.data.float().softmax(0)
        score = EntropyScorer()(probs, image_context(0, 1, i, torch.zeros(H, W, dtype=torch.bool)))
        _, corners = unit.greedy(score, torch.zeros(H, W, dtype=torch.bool), K)
        top = unit.exclusion(corners, (H, W)).numpy()
        asked, pseudo = state.rounds > 0, state.pseudo != 255
        assert asked.sum() == K * N and not (asked & ~top).any()
        np.testing.assert_array_equal(state.labels[asked], gt[asked])  # the oracle
        assert pseudo.sum() == (128 - K) * N and not (pseudo & top).any()
        np.testing.assert_array_equal(state.pseudo[pseudo], pred[pseudo])  # the model
        wrong_pseudo += int((pred[pseudo] != gt[pseudo]).sum())
    # the pseudo labels are the prediction even where it is wrong: no ground truth leaks
    assert wrong_pseudo > 0


def test_k0_is_a_pseudo_label_only_round(trained, tmp_path):
    cfg, work, _ = trained
    c = Config.fromfile(cfg)
    c.active_learning.budget.value = 0
    path = str(tmp_path / 'k0.py')
    c.dump(path)
    out = str(tmp_path / 'k0')
    run_tool(['tools/select.py', path, osp.join(work, 'iter_2.pth'), '--work-dir', out])
    store = LabelStore(osp.join(out, 'active_labels'))
    assert store.current_round == 1 and store.budget_spent()['pixels'] == 0
    ds = _target(cfg)
    for i in range(len(ds)):
        state = store.read(_key(ds, i), (H, W))
        assert not (state.rounds > 0).any() and (state.pseudo != 255).sum() == 128 * N


def _answers(export_dir, ds, gt_by_key):
    with open(osp.join(export_dir, 'manifest.json')) as f:
        manifest = json.load(f)
    answers = {}
    for entry in manifest['images']:
        with open(osp.join(export_dir, entry['points'])) as f:
            points = json.load(f)
        gt = gt_by_key[entry['key']]
        answers[entry['annotation']] = [dict(x=x, y=y, **{'class': int(gt[y, x]) if gt[y, x] != 255
                                                          else None}) for x, y in points]
    return manifest, answers


def _write(folder, answers):
    for name, entries in answers.items():
        path = osp.join(folder, name)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(entries, f)


def test_point_queries_round_trip_and_bad_imports_change_nothing(trained, tmp_path):
    cfg, work, _ = trained
    out = str(tmp_path / 'exp')
    run_tool(['tools/select.py', cfg, osp.join(work, 'iter_2.pth'), '--work-dir', out,
              '--export'])
    store = LabelStore(osp.join(out, 'active_labels'))
    assert store.current_round == 0
    queries = store.load_queries(1)
    export_dir = osp.join(out, 'queries', 'round_0001')  # points: chosen from the unit
    ds = _target(cfg)
    gt_by_key = {_key(ds, i): ds[i]['data_samples'].gt_sem_seg.data[0].numpy()
                 for i in range(len(ds))}
    manifest, answers = _answers(export_dir, ds, gt_by_key)
    assert manifest['format'] == 'mmada.point_queries' and len(manifest['images']) == 12
    for entry in manifest['images']:
        shape, pixels = queries.queries[entry['key']]
        with open(osp.join(export_dir, entry['points'])) as f:
            points = json.load(f)
        assert sorted(y * W + x for x, y in points) == sorted(pixels.tolist())
        assert len(points) == K * N and osp.isfile(osp.join(export_dir, entry['overlay']))
    # the masks format is still there on request
    run_tool(['tools/export_queries.py', out, '--round', '1', '--out', str(tmp_path / 'masks'),
              '--format', 'masks'])
    assert osp.isfile(osp.join(str(tmp_path / 'masks'), 'manifest.json'))

    first = sorted(answers)[0]
    asked = {(a['x'], a['y']) for a in answers[first]}
    x, y = next((x, y) for y in range(H) for x in range(W) if (x, y) not in asked)
    bad = {
        'missing image': {k: v for k, v in answers.items() if k != first},
        'extra point': dict(answers, **{first: answers[first] + [dict(x=x, y=y, **{'class': 0})]}),
        'unknown class': dict(answers, **{first: [dict(answers[first][0], **{'class': 19})] +
                                          answers[first][1:]}),
        'answered twice': dict(answers, **{first: answers[first][:1] + answers[first][:-1]}),
    }
    before = (store.current_round, store.digest())
    for case, files in bad.items():
        folder = str(tmp_path / case.replace(' ', '_'))
        _write(folder, files)
        with pytest.raises(AnnotationError, match='unchanged'):
            import_point_annotations(LabelStore(store.root), 1, folder)
        assert (LabelStore(store.root).current_round, LabelStore(store.root).digest()) == before
    malformed = str(tmp_path / 'malformed')
    _write(malformed, answers)
    with open(osp.join(malformed, first), 'w') as f:
        f.write('[{"x": 1, "y": ')
    proc = run_tool(['tools/import_annotations.py', store.root, '--round', '1', malformed],
                    check=False)
    assert proc.returncode == 1 and 'cannot be parsed as JSON' in proc.stderr
    assert (LabelStore(store.root).current_round, LabelStore(store.root).digest()) == before

    good = str(tmp_path / 'good')
    _write(good, answers)
    run_tool(['tools/import_annotations.py', store.root, '--round', '1', good])
    store = LabelStore(store.root)
    assert store.current_round == 1 and store.budget_spent()['pixels'] == 12 * K * N
    for key, (shape, pixels) in queries.queries.items():
        state = store.read(key, shape)
        np.testing.assert_array_equal(state.labels.reshape(-1)[pixels],
                                      gt_by_key[key].reshape(-1)[pixels])
        assert (state.pseudo != 255).sum() == (128 - K) * N  # committed with the answers
