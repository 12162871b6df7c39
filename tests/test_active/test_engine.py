"""The round engine's pieces without a runner: named outputs, pool passes, point units."""
import pytest
import torch

from mmada.active import GridPointsUnit
from mmada.active.engine import PoolPass, image_context
from mmada.models.acquisition_outputs import acquisition_outputs, find_segmentor
from tests.helpers.pools import batch, Pool, sample, TargetPool, tiny_segmentor

@pytest.fixture(scope='module')
def model():
    return tiny_segmentor(aux=True)


def test_probs_are_mmseg_predict_bit_for_bit(model):
    data = batch([sample(0)])
    ref = model.test_step(data)[0].seg_logits.data.float().softmax(0)
    out = acquisition_outputs(model, data, ['probs'])[0]
    assert set(out) == {'probs'} and torch.equal(out['probs'], ref)


def test_named_outputs_shapes_and_values(model):
    data = batch([sample(1, gt=True), sample(2, gt=True)])
    names = ['probs', 'logits', 'aux_probs', 'feats', 'logits_lowres', 'gt_sem_seg']
    outs = acquisition_outputs(model, data, names)
    assert len(outs) == 2 and all(set(o) == set(names) for o in outs)
    o = outs[1]
    assert o['probs'].shape == (19, 40, 72) and o['aux_probs'].shape == (19, 40, 72)
    assert torch.allclose(o['probs'], o['logits'].softmax(0))
    # DeepLab-v2: the features are the classifier's input, layer4 (128-d on r18 tiny)
    # at output stride 8: ceil(40 / 8) x ceil(72 / 8) = 5 x 9.
    assert o['feats'].shape == (128, 5, 9) and o['logits_lowres'].shape == (19, 5, 9)
    assert torch.equal(o['gt_sem_seg'], data['data_samples'][1].gt_sem_seg.data[0])
    assert not torch.allclose(o['aux_probs'], o['probs'])


def test_outputs_a_model_cannot_give_are_refused():
    plain = tiny_segmentor(aux=False)
    with pytest.raises(ValueError, match='auxiliary head'):
        acquisition_outputs(plain, batch([sample(0)]), ['aux_probs'])
    with pytest.raises(ValueError, match='unknown model outputs'):
        acquisition_outputs(plain, batch([sample(0)]), ['entropy'])
    with pytest.raises(ValueError, match='source pool'):
        acquisition_outputs(plain, batch([sample(0)]), ['gt_sem_seg'])


def test_find_segmentor_follows_wrappers_and_segmentor_attribute(model):
    class Adversarial(torch.nn.Module):
        def __init__(self, seg):
            super().__init__()
            self.segmentor = seg
    assert find_segmentor(Adversarial(model)) is model


def test_pool_pass_batches_equal_sizes_and_matches_batch_one(model):
    pool = Pool([(40, 72)] * 3 + [(32, 64)] * 2 + [(40, 72)])
    sizes = []
    one = PoolPass(model, 1).run(pool, ['probs'], lambda i, o: o['probs'])
    four = PoolPass(model, 4)
    orig = four._batches
    four._batches = lambda p, ind: ((b, sizes.append(len(b)) or d) for b, d in orig(p, ind))
    batched = four.run(pool, ['probs'], lambda i, o: o['probs'])
    assert sizes == [3, 2, 1]  # a change of size starts a new batch
    assert sorted(batched) == list(range(6))
    for i in range(6):
        assert torch.allclose(one[i], batched[i], atol=1e-5)


def test_grid_points_are_seeded_inside_their_patches():
    unit = GridPointsUnit(patch_size=8, points_per_patch=5, pseudo='points')
    shape = (20, 24)  # 3 x 3 patches, the bottom row cut to 4 rows
    ctx = image_context(7, 1, 3, torch.zeros(shape, dtype=torch.bool))
    pts = unit.points(shape, ctx)
    assert pts.shape == (3, 3, 5)
    ys, xs = pts // 24, pts % 24
    rows, cols = torch.arange(3)[:, None, None], torch.arange(3)[None, :, None]
    assert ((ys // 8) == rows).all() and ((xs // 8) == cols).all()
    assert all(len(set(p.tolist())) == 5 for p in pts.reshape(9, 5))  # distinct points
    again = image_context(7, 1, 3, torch.zeros(shape, dtype=torch.bool))
    assert torch.equal(unit.points(shape, again), pts)  # same seed, same points
    other = image_context(7, 1, 4, torch.zeros(shape, dtype=torch.bool))
    assert not torch.equal(unit.points(shape, other), pts)
    # picking patch (1, 2) asks exactly its 5 points, excludes the whole patch
    pos = torch.tensor([1 * 8 * 24 + 2 * 8])
    foot = unit.footprint(pos, shape, ctx)
    assert foot.sum() == 5 and foot.flatten()[pts[1, 2]].all()
    assert unit.exclusion(pos, shape, ctx).sum() == 64 and unit.cost(pos, shape, ctx).tolist() == [5]
    assert unit.pseudo_candidates(shape, ctx).numel() == 45


def test_grid_points_in_small_border_patches():
    unit = GridPointsUnit(patch_size=4, points_per_patch=5)
    ctx = image_context(0, 1, 0, torch.zeros((5, 4), dtype=torch.bool))
    pts = unit.points((5, 4), ctx)  # the second patch row has 1 x 4 = 4 pixels
    assert sorted(pts[1, 0].tolist()) == [-1, 16, 17, 18, 19]
    assert unit.cost(torch.tensor([16]), (5, 4), ctx).tolist() == [4]
    with pytest.raises(ValueError, match='context'):
        unit.points((5, 4), None)


@pytest.mark.parametrize('scorer,unit,allocator', [
    (dict(type='RIPUScorer', k=1), dict(type='SquareRegionUnit', k=1), 'PerImageAllocator'),
    (dict(type='ClassBalancedScorer', scorer=dict(type='RIPUScorer', k=1)),
     dict(type='SquareRegionUnit', k=1), 'GlobalTopNAllocator'),
    (dict(type='EntropyScorer'), dict(type='GridPointsUnit', patch_size=8, pseudo='points'),
     'PerImageAllocator'),
])
def test_no_probability_map_leaves_the_device_while_scoring(model, tmp_path, monkeypatch,
                                                            scorer, unit, allocator):
    """How "no CPU round-trip of (C, H, W) maps on a GPU" is checked without a GPU:
    every device move or numpy view of a tensor is recorded while a round scores;
    none may be a C-channel map (score maps of (H, W) may move: the greedy runs on
    the CPU, see docs/benchmarks.md)."""
    from mmada.active.budget import Budget
    from mmada.active.engine import AcquisitionRound
    from mmada.active.label_store import LabelStore
    from mmada.registry import SCORERS, UNITS
    engine = AcquisitionRound(SCORERS.build(scorer), UNITS.build(unit),
                              dict(type=allocator), None, Budget('ratio', 0.05, 1))
    target = TargetPool([(40, 72)] * 3)
    store = LabelStore(str(tmp_path / 'store'), num_classes=19)
    info = engine.round_info(target, store, 1)
    engine.scorer.prepare_round(info)
    moved = []
    real = {name: getattr(torch.Tensor, name) for name in ('cpu', 'numpy', 'to')}

    def spy(name):
        def call(self, *args, **kwargs):
            goes_to_cpu = name != 'to' or any(
                str(a) == 'cpu' for a in list(args) + list(kwargs.values()))
            if goes_to_cpu and self.dim() >= 3 and self.shape[-3] == 19:
                moved.append((name, tuple(self.shape)))
            return real[name](self, *args, **kwargs)
        return call
    for name in real:
        monkeypatch.setattr(torch.Tensor, name, spy(name))
    allocator_, meta = engine._score_shard(PoolPass(model, 2), target, store, 1)
    monkeypatch.undo()
    assert sorted(meta) == [0, 1, 2] and allocator_.result()
    assert moved == []
