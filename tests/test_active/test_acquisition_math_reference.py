"""The fast acquisition math against straightforward references (issue 9).

The references compute the same per-pixel formulas in the most direct way
(``argmax``, window counts by a convolution with a window of ones, a Python
loop of argmax-then-suppress), so the fast versions must give *the same bits*
and therefore the same selections, ties included.
"""
import math

import pytest
import torch

from mmada.active import ClassBalancedScorer, RIPUScorer, SquareRegionUnit
from mmada.active import functional as F
from mmada.active.base import ImageContext, RoundInfo
from mmada.active.cbda import weight_scores
from mmada.active.engine.round import cpu_threads


def _maps(seed: int, num_classes: int, shape, kind: str) -> torch.Tensor:
    """(C, H, W) softmax maps: smooth, blocky (few labels, many exact ties) or
    with exactly tied probabilities."""
    g = torch.Generator().manual_seed(seed)
    h, w = shape
    if kind == 'smooth':
        return (torch.randn(num_classes, h, w, generator=g) * 2).softmax(0)
    if kind == 'blocky':
        low = torch.randn(num_classes, max(1, h // 8), max(1, w // 8), generator=g) * 4
        return torch.nn.functional.interpolate(low[None], (h, w), mode='nearest')[0].softmax(0)
    counts = torch.randint(0, 3, (num_classes, h, w), generator=g).float()
    counts[0] += (counts.sum(0) == 0).float()  # every pixel has some mass
    return counts / counts.sum(0, keepdim=True)


CASES = [(0, 19, (64, 128), 'smooth'), (1, 19, (64, 128), 'blocky'), (2, 5, (37, 53), 'tied'),
         (3, 2, (16, 16), 'blocky'), (4, 24, (9, 70), 'tied'), (5, 3, (1, 40), 'smooth')]


def ref_pseudo_labels(probs):
    return probs.argmax(0)  # the first maximal class


def ref_entropy(probs, normalize):
    """-sum_c p log p, one class after the other in float32 (0 log 0 = 0)."""
    tiny = torch.finfo(probs.dtype).tiny
    entropy = torch.zeros_like(probs[0])
    for p in probs:
        entropy = entropy - torch.log(torch.clamp(p, min=tiny)) * p
    return entropy / math.log(probs.shape[0]) if normalize else entropy


def ref_window_counts(mask, k):
    """Pixels of ``mask`` in every (2k+1)^2 window clipped to the image, by a
    convolution with a window of ones (exact: small integers in float64)."""
    ones = torch.ones(1, 1, 2 * k + 1, 2 * k + 1, dtype=torch.float64)
    return torch.nn.functional.conv2d(mask[None, None].double(), ones, padding=k)[0, 0]


def ref_impurity(labels, num_classes, k, normalize):
    """RIPU Eq. 4 from the window counts of every class, in float32."""
    size = ref_window_counts(torch.ones(labels.shape), k).float()
    impurity = torch.zeros(labels.shape)
    for cls in range(num_classes):
        if not (labels == cls).any():
            continue
        share = ref_window_counts(labels == cls, k).float() / size
        impurity = impurity - torch.log(torch.clamp(share, min=1e-30)) * share
    return impurity / math.log(num_classes) if normalize else impurity


def ref_greedy(score, radius, max_units):
    """The naive argmax-then-suppress loop (RIPU Alg. 1)."""
    work = score.clone()
    picks = []
    for _ in range(max_units):
        pos = int(work.argmax())
        if work.view(-1)[pos] == -math.inf:
            break
        picks.append(pos)
        y, x = divmod(pos, work.shape[1])
        work[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1] = -math.inf
    return picks


@pytest.mark.parametrize('seed,num_classes,shape,kind', CASES)
def test_pseudo_labels_and_entropy_equal_the_references(seed, num_classes, shape, kind):
    probs = _maps(seed, num_classes, shape, kind)
    labels = F.compact_pseudo_labels(probs)
    assert labels.dtype == torch.uint8
    assert torch.equal(labels.long(), ref_pseudo_labels(probs))
    assert torch.equal(F.pseudo_labels(probs), ref_pseudo_labels(probs))
    for normalize in (False, True):
        assert torch.equal(F.pixel_entropy(probs, normalize), ref_entropy(probs, normalize))


@pytest.mark.parametrize('seed,num_classes,shape,kind', CASES)
@pytest.mark.parametrize('k', [0, 1, 2, 3, 4, 7])
def test_region_impurity_equals_the_reference(seed, num_classes, shape, kind, k):
    """k <= 3 takes the byte-count path, k > 3 the cumulative sums: both equal
    the convolution reference bit for bit, so either path picks the same units."""
    labels = ref_pseudo_labels(_maps(seed, num_classes, shape, kind))
    for normalize in (False, True) if num_classes > 1 else (False, ):
        ref = ref_impurity(labels, num_classes, k, normalize)
        assert torch.equal(F.region_impurity(labels, num_classes, k, normalize), ref)
        assert torch.equal(F.region_impurity(labels.to(torch.uint8), num_classes, k, normalize),
                           ref)


def test_small_box_counts_are_exact_window_counts():
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(23, 31, generator=g) < 0.4
    for k in range(F.SMALL_BOX_RADIUS + 1):
        counts = F.SmallBoxCounts(mask.shape, k)
        counts.inner.copy_(mask)
        assert torch.equal(counts().double(), ref_window_counts(mask, k))
    with pytest.raises(ValueError, match='k <= 3'):
        F.SmallBoxCounts((4, 4), F.SMALL_BOX_RADIUS + 1)


@pytest.mark.parametrize('seed,num_classes,shape,kind', CASES)
@pytest.mark.parametrize('k,mode', [(1, 'region'), (2, 'region'), (5, 'pixel')])
def test_ripu_scores_and_selections_equal_the_references(seed, num_classes, shape, kind, k,
                                                         mode):
    probs = _maps(seed, num_classes, shape, kind)
    entropy = ref_entropy(probs, num_classes > 1)
    uncertainty = F.region_uncertainty(entropy, k) if mode == 'region' else entropy
    if num_classes < 2:
        pytest.skip('normalised scores need two classes')
    ref = uncertainty * ref_impurity(ref_pseudo_labels(probs), num_classes, k, True)
    ctx = ImageContext(0, torch.zeros(shape, dtype=torch.bool), torch.Generator())
    score = RIPUScorer(k=k, mode=mode)(probs, ctx)
    assert torch.equal(score, ref)
    assert torch.equal(F.ripu_score(probs, k, mode), ref)
    units = max(1, shape[0] * shape[1] // 40)
    radius = 2 * k if mode == 'region' else k
    if kind == 'blocky' and k == 1:
        assert (ref == 0).sum() > units  # ties at 0: row-major order decides
    _, positions = F.greedy_suppress(score, None, units, radius)
    assert positions.tolist() == ref_greedy(ref, radius, units)
    if mode == 'region':
        _, positions = SquareRegionUnit(k=k).greedy(score, torch.zeros(shape, dtype=torch.bool),
                                                     units)
        assert positions.tolist() == ref_greedy(ref, 2 * k, units)


def test_cbda_shares_the_pseudo_labels_with_ripu_and_equals_the_reference(monkeypatch):
    probs = _maps(1, 19, (64, 128), 'blocky')
    scorer = ClassBalancedScorer(scorer=dict(type='RIPUScorer', k=1))
    scorer.prepare_round(RoundInfo(2, 5, 19, 10 * 64 * 128, 0.022,
                                   torch.arange(19, dtype=torch.long) * 50))
    calls = []
    real = F.compact_pseudo_labels
    monkeypatch.setattr(F, 'compact_pseudo_labels', lambda p: calls.append(1) or real(p))
    ctx = ImageContext(0, torch.zeros(64, 128, dtype=torch.bool), torch.Generator())
    score = scorer(probs, ctx)
    assert len(calls) == 1  # computed once, for the impurity and the class weights
    labels = ref_pseudo_labels(probs)
    ripu = ref_entropy(probs, True)
    ref = F.region_uncertainty(ripu, 1) * ref_impurity(labels, 19, 1, True)
    assert torch.equal(score, weight_scores(ref, labels, scorer.weights))
    # a modified (or another) probability map is not served from the memo
    probs2 = probs.clone()
    scorer(probs2, ctx)
    assert len(calls) == 2
    probs2.mul_(1.0)
    scorer(probs2, ctx)
    assert len(calls) == 3


def test_cpu_threads_limits_and_restores():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with cpu_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with cpu_threads(None):
            assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError):
            with cpu_threads(1):
                raise RuntimeError('restored on errors too')
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


class _ThreadRecordingRIPU(RIPUScorer):
    """RIPU RA that records torch's intra-op thread count while it scores."""

    def __init__(self):
        super().__init__(k=1)
        self.threads = []

    def __call__(self, probs, ctx):
        self.threads.append(torch.get_num_threads())
        return super().__call__(probs, ctx)


def test_a_round_scores_on_one_thread_and_picks_what_torchs_threads_pick(tmp_path):
    """``AcquisitionRound(score_threads=1)`` (the default) scores every image on
    one intra-op thread, with the same picks as scoring on torch's threads."""
    from mmada.active.budget import Budget
    from mmada.active.engine import AcquisitionRound, PoolPass
    from mmada.active.label_store import LabelStore
    from tests.helpers.pools import TargetPool, tiny_segmentor
    model = tiny_segmentor(aux=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        picks = {}
        for threads in (1, None):
            scorer = _ThreadRecordingRIPU()
            engine = AcquisitionRound(scorer, SquareRegionUnit(k=1),
                                      dict(type='PerImageAllocator'), None,
                                      Budget('ratio', 0.05, 1), score_threads=threads)
            target = TargetPool([(40, 72)] * 3)
            store = LabelStore(str(tmp_path / f'store_{threads}'), num_classes=19)
            allocator, _ = engine._score_shard(PoolPass(model, 2), target, store, 1)
            picks[threads] = {i: p.tolist() for i, p in allocator.result().items()}
            assert scorer.threads == [threads or 2] * 3
            assert torch.get_num_threads() == 2  # the forward pass keeps torch's setting
        assert picks[1] == picks[None] and sum(map(len, picks[1].values())) > 0
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match='score_threads'):
        AcquisitionRound(RIPUScorer(), SquareRegionUnit(k=1), dict(type='PerImageAllocator'),
                         None, Budget('ratio', 0.05, 1), score_threads=0)
