"""ADA-MCU online acquisition: uncertainty (Eq. 1-3), groups, equal-count
sampling, Algorithm 1's phases, exact budget and the hidden oracle fields."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmada.active.functional.mcu import (equal_count_sample, mcu_uncertainty,
                                         mcu_uncertainty_from_logits, uncertainty_groups)
from mmada.active.label_store import LabelStore
from mmada.active.online import (ORIGIN_OFFSET, AdaMCUOnlineAcquisition,
                                 AdaptiveSamplingSchedule, MCUUncertaintyScorer,
                                 OnlineSettingsError, budget_pixels)
from mmada.active.online import ada_mcu as acq_module
from mmada.engine.hooks.online_acquisition_hook import OnlineAcquisitionHook


# ------------------------------------------------------------------ Eq. 1-3
def test_uncertainty_hand_example_and_kl_direction():
    # p_main = (0.5, 0.5), p_aux = (0.9, 0.1): E = 1 (normalised),
    # KL(p || p_aux) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5108;
    # the other direction KL(p_aux || p) = 0.9 ln 1.8 + 0.1 ln 0.2 = 0.3681.
    p = torch.tensor([0.5, 0.5]).view(2, 1, 1)
    q = torch.tensor([0.9, 0.1]).view(2, 1, 1)
    kl_pq = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    kl_qp = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    assert abs(kl_pq - 0.5108) < 1e-4 and abs(kl_qp - 0.3681) < 1e-4
    s = mcu_uncertainty(p, q, gamma=0.5)
    assert s.shape == (1, 1)
    assert s.item() == pytest.approx(1 + 0.5 * kl_pq, abs=1e-5)
    assert s.item() != pytest.approx(1 + 0.5 * kl_qp, abs=1e-3)
    # gamma = 0: the normalised entropy alone; 3 classes, p = (0.7, 0.2, 0.1).
    p3 = torch.tensor([0.7, 0.2, 0.1]).view(3, 1, 1)
    ent = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1)) / math.log(3)
    assert mcu_uncertainty(p3, None, gamma=0).item() == pytest.approx(ent, abs=1e-6)


def test_uncertainty_from_logits_equals_probs_version():
    g = torch.Generator().manual_seed(0)
    logits, aux = torch.randn(2, 5, 3, 4, generator=g), torch.randn(2, 5, 3, 4, generator=g)
    batch = mcu_uncertainty_from_logits(logits, aux, gamma=0.5, dim=1)
    for b in range(2):
        one = mcu_uncertainty(logits[b].softmax(0), aux[b].softmax(0), gamma=0.5)
        torch.testing.assert_close(batch[b], one, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match='auxiliary'):
        mcu_uncertainty_from_logits(logits, None, gamma=0.5)


def test_pool_scorer_uses_probs_and_aux_probs():
    scorer = MCUUncertaintyScorer(gamma=0.5)
    assert scorer.inputs == ('probs', 'aux_probs')
    p = torch.tensor([0.5, 0.5]).view(2, 1, 1)
    q = torch.tensor([0.9, 0.1]).view(2, 1, 1)
    kl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert scorer(probs=p, aux_probs=q, ctx=None).item() == pytest.approx(1 + 0.5 * kl, abs=1e-5)


# ------------------------------------------------------------ groups, sampling
def test_group_split_on_thresholds():
    score = torch.tensor([[0.05, 0.1, 0.5], [0.99, 1.0, 1.2]])
    groups = uncertainty_groups(score, pi_high=1.0, pi_low=0.1)
    # high: S >= pi_high (0); low: S < pi_low (2); medium between (1).
    assert groups.tolist() == [[2, 1, 1], [1, 0, 0]]
    assert groups.dtype == torch.int64
    with pytest.raises(ValueError, match='pi_low < pi_high'):
        uncertainty_groups(score, pi_high=0.1, pi_low=0.1)


def test_equal_count_sampling_hand_example():
    # 4 x 5 image: 4 high, 6 medium, 10 low pixels; two high pixels are
    # already labelled (not candidates) -> |G_h| = 2.
    groups = torch.tensor([0] * 4 + [1] * 6 + [2] * 10).view(4, 5)
    cand = torch.ones(4, 5, dtype=torch.bool)
    cand.view(-1)[[0, 1]] = False
    g = torch.Generator().manual_seed(0)
    picks = equal_count_sample(groups, cand, ('high', 'medium', 'low'), 10, 1.0, g)
    assert {k: len(v) for k, v in picks.items()} == dict(high=2, medium=2, low=2)
    flat_g = groups.view(-1)
    for name, gid in (('high', 0), ('medium', 1), ('low', 2)):
        assert (flat_g[picks[name]] == gid).all()
        assert cand.view(-1)[picks[name]].all()
        assert len(set(picks[name].tolist())) == len(picks[name])
    assert sorted(picks['high'].tolist()) == [2, 3]
    # Footnote 3: half of the smallest group (ceil(0.5 * 2) = 1), and the cap.
    half = equal_count_sample(groups, cand, ('high', 'medium', 'low'), 10, 0.5, g)
    assert [len(v) for v in half.values()] == [1, 1, 1]
    capped = equal_count_sample(groups, torch.ones(4, 5, dtype=torch.bool),
                                ('medium', 'low'), 3, 1.0, g)
    assert [len(v) for v in capped.values()] == [3, 3]
    # An empty group means nothing is sampled from any group.
    none = equal_count_sample(groups, groups != 0, ('high', 'medium'), 10, 1.0, g)
    assert [len(v) for v in none.values()] == [0, 0]
    # An empty G_l (pseudo labels only) does not stop the labelled groups.
    no_low = equal_count_sample(groups, groups != 2, ('high', 'medium', 'low'), 10, 1.0, g,
                                count_groups=('high', 'medium'))
    assert [len(v) for v in no_low.values()] == [4, 4, 0]
    # No cap ("AL w/o AS"): every candidate of each group, in random order.
    every = equal_count_sample(groups, cand, ('high', 'low'), None, 1.0, g)
    assert sorted(every['high'].tolist()) == [2, 3]
    assert sorted(every['low'].tolist()) == list(range(10, 20))


# ------------------------------------------------------------------ Alg. 1
def test_schedule_phases_caps_and_decay():
    s = AdaptiveSamplingSchedule(budget=11, pi_high=2.0, pi_low=0.1, decay=0.5)
    assert (s.phase(0), s.quota(0), s.groups_to_label(0)) == ('high', 5, ('high', 'medium'))
    assert (s.phase(4), s.quota(4)) == ('high', 1)
    assert (s.phase(5), s.quota(5), s.groups_to_label(5)) == ('medium', 6, ('medium', ))
    assert (s.phase(11), s.quota(11), s.groups_to_label(11)) == ('stop', 0, ())
    s.end_epoch(labelled=3)
    assert s.pi_high == pytest.approx(1.0)
    s.end_epoch(labelled=4)
    assert s.pi_high == pytest.approx(0.5)
    s.end_epoch(labelled=5)  # phase 2: no more decay
    assert s.pi_high == pytest.approx(0.5) and s.epochs == 3 and s.decays == 2
    for _ in range(10):
        s.end_epoch(labelled=0)
    assert s.pi_low < s.pi_high < s.pi_low + 1e-5  # never below pi_low
    state = s.state_dict()
    t = AdaptiveSamplingSchedule(budget=11, pi_high=2.0, pi_low=0.1, decay=0.5)
    t.load_state_dict(state)
    assert t.state_dict() == state


# --------------------------------------------------- acquisition on a batch
H, W, C = 4, 4, 3


class FakeSegmentor(SimpleNamespace):
    """What the acquisition reads from a segmentor."""

    def __init__(self, aux=True):
        super().__init__(decode_head=SimpleNamespace(align_corners=False, ignore_index=255,
                                                     num_classes=C),
                         with_auxiliary_head=aux)


def make_sample(key, gt, origin=None):
    s = SegDataSample(metainfo=dict(active_key=key, ori_shape=(H, W)))
    s.gt_sem_seg = PixelData(data=torch.full((1, H, W), 255, dtype=torch.long))
    if origin is None:
        origin = torch.arange(H * W).view(H, W)
    s.set_data(dict(oracle_sem_seg=PixelData(data=gt.view(1, H, W).long()),
                    origin_index=PixelData(data=(origin + ORIGIN_OFFSET).view(1, H, W))))
    return s


def graded_logits():
    """(1, C, H, W): pixel i has confidence growing with i (S decreasing)."""
    a = torch.linspace(0, 8, H * W).view(H, W)
    logits = torch.zeros(1, C, H, W)
    logits[0, 0] = a
    return logits


def batch(keys, gts, origins=None):
    samples = [make_sample(k, g, None if origins is None else origins[i])
               for i, (k, g) in enumerate(zip(keys, gts))]
    logits = graded_logits().repeat(len(keys), 1, 1, 1)
    outputs = dict(target=dict(seg_logits=logits, aux_logits=logits.clone(),
                               gt_sem_seg=torch.full((len(keys), H, W), 255, dtype=torch.long),
                               labelled_mask=None, img=torch.zeros(len(keys), 3, H, W)))
    return outputs, dict(target=samples)


def gt_map(seed):
    return torch.randint(0, C, (H, W), generator=torch.Generator().manual_seed(seed))


def test_only_queried_labels_reach_the_outputs(tmp_path):
    acq = AdaMCUOnlineAcquisition(budget=dict(type='pixels', value=20), gamma=0.5,
                                  pi_high=0.5, pi_low=0.1, samples_per_image=2,
                                  sample_fraction=1.0, source_groups=False)
    store = LabelStore(str(tmp_path / 'store'), num_classes=C)
    acq.bind(store, [(H, W)] * 2)
    gts = [gt_map(1), gt_map(2)]
    outputs, samples = batch(['a', 'b'], gts)
    acq(FakeSegmentor(), outputs, samples)
    out = outputs['target']
    groups = out['uncertainty_group']
    assert groups.shape == (2, H, W) and out['uncertainty'].shape == (2, H, W)
    for b, key in enumerate(['a', 'b']):
        pixels, labels = acq.pending.get(key)
        # 2 from G_h and 2 from G_m get ground truth, 2 from G_l pseudo labels.
        assert len(pixels) == 4
        assert sorted(groups[b].view(-1)[torch.from_numpy(pixels)].tolist()) == [0, 0, 1, 1]
        labelled = out['labelled_mask'][b].view(-1)
        assert sorted(torch.nonzero(labelled).view(-1).tolist()) == sorted(pixels.tolist())
        assert (out['gt_sem_seg'][b].view(-1)[labelled] == gts[b].view(-1)[labelled]).all()
        assert (out['gt_sem_seg'][b].view(-1)[~labelled] == 255).all()
        pseudo = out['pseudo_sem_seg'][b].view(-1)
        assert (pseudo != 255).sum() == 2 and (groups[b].view(-1)[pseudo != 255] == 2).all()
        assert (pseudo[pseudo != 255] == 0).all()  # the prediction (class 0), not the GT
        # The hidden fields are gone from the samples once read.
        assert 'oracle_sem_seg' not in samples['target'][b]
        assert 'origin_index' not in samples['target'][b]
    assert acq.labelled == 8


def test_labels_map_through_the_origin_index_and_are_never_taken_twice(tmp_path):
    # A horizontally flipped crop: training pixel (y, x) comes from (y, W-1-x).
    origin = torch.arange(H * W).view(H, W).flip(1)
    acq = AdaMCUOnlineAcquisition(budget=dict(type='pixels', value=16), gamma=0.0,
                                  pi_high=0.5, pi_low=0.1, samples_per_image=3,
                                  sample_fraction=1.0, source_groups=False)
    store = LabelStore(str(tmp_path / 'store'), num_classes=C)
    acq.bind(store, [(H, W)])
    gt = gt_map(3)
    hook = OnlineAcquisitionHook(commit_interval=1)
    hook.acquisition, hook.store = acq, store
    seen = []
    for it in range(6):
        acq.iteration = it
        outputs, samples = batch(['a'], [gt.flip(1)], [origin])
        acq(FakeSegmentor(aux=False), outputs, samples)
        out = outputs['target']
        # Every label of the crop is the original label of its origin pixel.
        lab = out['labelled_mask'][0]
        assert (out['gt_sem_seg'][0][lab] == gt.flip(1)[lab]).all()
        seen.append(acq.pending.get('a')[0].copy())
        hook.commit()
        assert int(lab.sum()) == store.budget_spent()['pixels'] == acq.labelled
    state = store.read('a', (H, W))
    assert int(state.annotated.sum()) == acq.labelled <= 16
    np.testing.assert_array_equal(state.labels[state.annotated], gt.numpy()[state.annotated])
    allp = np.concatenate(seen)
    assert len(allp) == len(np.unique(allp))  # never the same pixel twice


def drive(acq, store, hook, num_images, iterations, gts):
    """One image per iteration, in order: an epoch is num_images iterations."""
    trace = []
    for it in range(iterations):
        acq.iteration = it
        key = f'img{it % num_images}'
        outputs, samples = batch([key], [gts[it % num_images]])
        phase_before = acq.schedule.phase(acq.labelled)
        acq(FakeSegmentor(aux=False), outputs, samples)
        hook.commit()
        trace.append((phase_before, acq.schedule.pi_high, acq.labelled))
    return trace


def test_algorithm1_three_phases_driven_through_epochs(tmp_path):
    # 3 images of 16 pixels, M_e = 12: phase 1 up to 6, phase 2 up to 12.
    # pi_high starts above every score (G_h empty: nothing labelled) and
    # halves at the end of every epoch while M_a < 6.
    acq = AdaMCUOnlineAcquisition(budget=dict(type='pixels', value=12), gamma=0.0,
                                  pi_high=2.0, pi_low=0.2, decay=0.5, samples_per_image=1,
                                  sample_fraction=1.0, source_groups=False)
    store = LabelStore(str(tmp_path / 'store'), num_classes=C)
    acq.bind(store, [(H, W)] * 3)
    hook = OnlineAcquisitionHook(commit_interval=1)
    hook.acquisition, hook.store = acq, store
    trace = drive(acq, store, hook, 3, 30, [gt_map(i) for i in range(3)])
    phases = [t[0] for t in trace]
    labelled = [t[2] for t in trace]
    # Epoch 1 (pi_high = 2): G_h is empty, nothing is labelled.
    assert labelled[:3] == [0, 0, 0] and trace[2][1] == pytest.approx(1.0)
    # The phases come in order, each at least once, and never go back.
    order = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert order == ['high', 'medium', 'stop']
    # pi_high decays only at ends of epochs of phase 1.
    pis = [t[1] for t in trace]
    for i in range(1, len(trace)):
        if pis[i] != pis[i - 1]:
            assert (i + 1) % 3 == 0 and phases[i] == 'high'
    # Phase 1 stops at exactly M_e / 2, the budget at exactly M_e.
    first_medium = phases.index('medium')
    assert trace[first_medium - 1][2] == 6
    assert max(labelled) == labelled[-1] == 12 == store.budget_spent()['pixels']
    assert all(b >= a for a, b in zip(labelled, labelled[1:]))
    # Phase 2 labels only G_m pixels: their scores are in [pi_low, pi_high).
    assert acq.schedule.epochs == 10


def test_ranks_accepted_in_rank_order_up_to_the_cap(monkeypatch):
    # Two ranks propose pixels of the same image in the same iteration.
    acq = AdaMCUOnlineAcquisition(budget=dict(type='pixels', value=10), gamma=0.0,
                                  source_groups=False)
    acq.schedule = AdaptiveSamplingSchedule(10, 1.0, 0.1)
    acq.pending.add('a', (H, W), np.array([0]), np.array([1]))
    rank0 = [('a', (H, W), np.array([0, 1, 2], np.int64), np.array([1, 1, 1], np.uint8))]
    rank1 = [('a', (H, W), np.array([2, 3, 4, 5], np.int64), np.array([2, 2, 2, 2], np.uint8))]
    monkeypatch.setattr(acq_module, 'get_dist_info', lambda: (0, 2))
    monkeypatch.setattr(acq_module, 'all_gather_object', lambda obj: [rank0, rank1])
    accepted = acq._accept(rank0)
    # Quota of phase 1 = 5 - 1 pending = 4: rank 0 takes 1, 2 (0 is pending),
    # rank 1 takes 3, 4 (2 is taken by rank 0; 5 is over the cap).
    assert accepted[0][0][2].tolist() == [1, 2]
    assert accepted[1][0][2].tolist() == [3, 4]
    assert acq.pending.get('a')[0].tolist() == [0, 1, 2, 3, 4]
    assert acq.labelled == 5


# ---------------------------------------------------------- bad settings
@pytest.mark.parametrize('kwargs,match', [
    (dict(budget=dict(type='ratio', value=0)), r'ratio must be in \(0, 1\]'),
    (dict(budget=dict(type='ratio', value=1.5)), r'ratio must be in \(0, 1\]'),
    (dict(budget=dict(type='pixels', value=0)), 'positive integer'),
    (dict(budget=dict(type='ratio', value=0.05), pi_high=0.1, pi_low=0.2), 'pi_low < pi_high'),
    (dict(budget=dict(type='ratio', value=0.05), pi_high=0.1, pi_low=0.1), 'pi_low < pi_high'),
    (dict(budget=dict(type='ratio', value=0.05), samples_per_image=0), 'samples_per_image'),
    (dict(budget=dict(type='ratio', value=0.05), label_groups=dict(stop=('low', ))),
     'cannot get ground truth'),
])
def test_bad_settings_fail_with_one_message(kwargs, match):
    with pytest.raises(OnlineSettingsError, match=match):
        AdaMCUOnlineAcquisition(**kwargs)


def test_budget_in_pixels_of_the_pool():
    assert budget_pixels(dict(type='ratio', value=0.017), 100 * 100) == 170
    with pytest.raises(ValueError, match='exceeds the target pool'):
        budget_pixels(dict(type='pixels', value=101), 100)
    with pytest.raises(ValueError, match='is 0 pixels'):
        budget_pixels(dict(type='ratio', value=0.001), 100)


def test_kl_term_needs_an_auxiliary_head():
    acq = AdaMCUOnlineAcquisition(budget=dict(type='ratio', value=0.05), gamma=0.5)
    with pytest.raises(OnlineSettingsError, match='no auxiliary_head'):
        acq.check_segmentor(FakeSegmentor(aux=False))
    AdaMCUOnlineAcquisition(budget=dict(type='ratio', value=0.05),
                            gamma=0).check_segmentor(FakeSegmentor(aux=False))
