"""Multi-anchor selection (MADA / MADAv2) on hand examples."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmada.active import (GlobalTopNAllocator, ImageUnit, MultiAnchorScorer, class_feature_vector,
                          dual_domain_distance, kmeans_anchors, nearest_anchor_distance)
from mmada.active.anchors import prediction_mask, source_mask_labels
from mmada.active.budget import Budget


def test_class_feature_vector_by_hand():
    # D = 2 features on a 2 x 2 map; labels at 4 x 4 downsample (nearest) to the
    # top-left pixel of each 2 x 2 block: [[0, 1], [1, 255]].
    feats = torch.tensor([[[1., 2.], [3., 4.]],
                          [[10., 20.], [30., 40.]]])
    labels = torch.full((4, 4), 7, dtype=torch.long)
    labels[0, 0], labels[0, 2], labels[2, 0], labels[2, 2] = 0, 1, 1, 255
    vec = class_feature_vector(feats, labels, num_classes=3, min_pixels=1)
    # class 0: pixel (0, 0) -> (1, 10); class 1: pixels (0, 1), (1, 0) -> ((2+3)/2, (20+30)/2);
    # class 2: no pixel -> zero row; 255 ignored
    assert vec.tolist() == [1., 10., 2.5, 25., 0., 0.]
    # a class with fewer than min_pixels feature pixels gives a zero row
    assert class_feature_vector(feats, labels, 3, min_pixels=2).tolist() == [0., 0., 2.5, 25., 0., 0.]


def test_prediction_at_equals_downsampled_argmax():
    from mmada.active.anchors import prediction_at
    probs = torch.rand(5, 37, 53, generator=torch.Generator().manual_seed(0)).softmax(0)
    full = probs.argmax(0)[None, None].float()
    expected = torch.nn.functional.interpolate(full, size=(5, 7), mode='nearest')[0, 0].long()
    assert torch.equal(prediction_at(probs, (5, 7)), expected)


def test_distances_by_hand():
    vectors = torch.tensor([[0., 0.], [2., 2.]])
    source = torch.tensor([[0., 0.], [1., 1.]])
    target = torch.tensor([[2., 0.]])
    # mean squared difference: v1 to (1, 1) = (1 + 1) / 2 = 1; to (2, 0): (0 + 4) / 2 = 2
    assert nearest_anchor_distance(vectors, source).tolist() == [0., 1.]
    assert nearest_anchor_distance(vectors, target).tolist() == [2., 2.]
    assert dual_domain_distance(vectors, source, target).tolist() == [2., 3.]  # Eq. 5
    assert float(nearest_anchor_distance(vectors[1], source)) == 1.


def test_kmeans_anchors_are_seeded_and_refuse_too_many():
    rng = np.random.default_rng(0)
    vectors = np.concatenate([rng.normal(0, 0.1, (20, 4)), rng.normal(5, 0.1, (20, 4))])
    a = kmeans_anchors(vectors, 2, seed=3)
    assert np.array_equal(a, kmeans_anchors(vectors, 2, seed=3))
    assert sorted(np.round(a.mean(1)).tolist()) == [0., 5.]
    with pytest.raises(ValueError, match='at least as many images'):
        kmeans_anchors(vectors[:3], 4)


def _ctx(shape):
    return SimpleNamespace(labelled=torch.zeros(shape, dtype=torch.bool))


def _border_case():
    """Decoder output at 2 x 2 and its mmseg upsampling to the 4 x 4 labels.

    Cell (0, 1) predicts class 1 by a small margin next to a confident class-0
    cell; bilinear upsampling (align_corners=False) blends them, so the label
    pixel (0, 2) that nearest sampling reads back for cell (0, 1) is class 0.
    """
    logits = torch.tensor([[[10., 0.], [10., 10.]],
                           [[0., 1.], [0., 0.]]])
    feats = torch.tensor([[[1., 2.], [3., 4.]],
                          [[10., 20.], [30., 40.]]])
    probs = F.interpolate(logits[None], size=(4, 4), mode='bilinear',
                          align_corners=False)[0].softmax(0)
    return feats, logits.softmax(0), probs


def test_target_mask_is_the_argmax_of_the_low_resolution_output():
    # The authors' code (step1_savefeat_target*.py): argmax of the decoder's own
    # output, the size of feat_cls. Cell (0, 1) is class 1 there.
    feats, probs_lowres, probs = _border_case()
    scorer = MultiAnchorScorer(num_anchors=1, mode='mada', min_pixels=1)
    assert scorer.inputs == ('feats', 'probs_lowres')
    assert prediction_mask(feats, probs_lowres).tolist() == [[0, 1], [0, 0]]
    # upsampled: 0.25 * (10, 0) + 0.75 * (0, 1) = (2.5, 0.75) at pixel (0, 2) -> class 0
    assert prediction_mask(feats, probs, 'label').tolist() == [[0, 0], [0, 0]]
    scorer.load_state_dict(dict(source_anchors=torch.zeros(1, 2 * 2)))
    # class 0: cells (0, 0), (1, 0), (1, 1) -> ((1 + 3 + 4) / 3, (10 + 30 + 40) / 3);
    # class 1: cell (0, 1) -> (2, 20); distance to the zero anchor: mean of squares
    c0 = [8 / 3, 80 / 3]
    expected = (c0[0] ** 2 + c0[1] ** 2 + 2 ** 2 + 20 ** 2) / 4
    score = scorer(feats, _ctx((4, 4)), probs_lowres=probs_lowres)
    assert score.shape == (4, 4)
    assert torch.allclose(score, torch.full((4, 4), expected))
    old = MultiAnchorScorer(num_anchors=1, mode='mada', min_pixels=1, mask_resolution='label')
    assert old.inputs == ('feats', 'probs')
    old.load_state_dict(dict(source_anchors=torch.zeros(1, 2 * 2)))
    all0 = [10 / 4, 100 / 4]  # every cell class 0 under the label-resolution mask
    assert torch.allclose(old(feats, _ctx((4, 4)), probs=probs),
                          torch.full((4, 4), (all0[0] ** 2 + all0[1] ** 2) / 4))
    with pytest.raises(TypeError, match='probs_lowres'):
        scorer(feats, _ctx((4, 4)), probs=probs)
    with pytest.raises(ValueError, match='mask_resolution'):
        MultiAnchorScorer(mask_resolution='full')


def test_label_and_correct_compares_downsampled_labels_with_the_low_res_argmax():
    # Authors (step1_savefeat_source.py): labels nearest-downsampled to feat_cls,
    # multiplied with the one-hot low-resolution argmax.
    feats, probs_lowres, probs = _border_case()
    labels = torch.zeros(4, 4, dtype=torch.long)
    labels[0, 2] = 1  # the label of cell (0, 1) after nearest downsampling
    labels[2, 2] = 1  # cell (1, 1): labelled 1, predicted 0 -> dropped
    assert source_mask_labels(feats, labels, probs_lowres).tolist() == [[0, 1], [0, 255]]
    # the label-resolution reading predicts class 0 at (0, 1): the class-1 pixel goes
    assert source_mask_labels(feats, labels, probs, 'label').tolist() == [[0, 255], [0, 255]]
    assert source_mask_labels(feats, labels).tolist() == [[0, 1], [0, 1]]


def test_largest_distance_images_are_selected():
    scorer = MultiAnchorScorer(num_anchors=1, mode='mada', min_pixels=1)
    scorer.load_state_dict(dict(source_anchors=torch.zeros(1, 2 * 2)))
    unit, alloc = ImageUnit(reduce='max'), GlobalTopNAllocator()
    shapes = [(2, 2)] * 3
    alloc.start_round(Budget('images', 2, 1), unit, shapes, 1)
    for idx, value in enumerate([0.5, 2.0, 1.0]):
        feats = torch.full((2, 1, 1), value)  # C = 2 classes, D = 2; class 0 everywhere
        probs = torch.tensor([1., 0.]).reshape(2, 1, 1)
        score = scorer(feats, _ctx((2, 2)), probs_lowres=probs)
        # vector (v, v, 0, 0) against the zero anchor: (2 v^2) / 4
        assert torch.allclose(score, torch.full((2, 2), value ** 2 / 2))
        alloc.begin_image(idx, (2, 2))
        s, p = unit.greedy(score, torch.zeros(2, 2, dtype=torch.bool), alloc.max_units())
        alloc.push(idx, s, p, costs=unit.cost(p, (2, 2)))
    assert sorted(alloc.result()) == [1, 2]


def test_anchors_of_another_model_are_refused():
    scorer = MultiAnchorScorer(mode='mada')
    scorer.load_state_dict(dict(source_anchors=torch.zeros(10, 7)))
    with pytest.raises(ValueError, match='another model'):
        scorer(torch.zeros(4, 2, 2), _ctx((2, 2)), probs_lowres=torch.full((3, 2, 2), 1 / 3))
    with pytest.raises(ValueError, match='mode'):
        MultiAnchorScorer(mode='mada3')
    with pytest.raises(RuntimeError, match='prepare_round'):
        MultiAnchorScorer()(torch.zeros(4, 2, 2), _ctx((2, 2)),
                            probs_lowres=torch.full((3, 2, 2), 1 / 3))


def test_stage2_anchor_pass_reads_the_same_mask_as_the_selection():
    from mmada.engine.hooks.anchor_init_hook import TargetAnchorInitHook
    assert TargetAnchorInitHook().pred_name == 'probs_lowres'
    assert TargetAnchorInitHook(mask_resolution='label').pred_name == 'probs'
    with pytest.raises(ValueError, match='mask_resolution'):
        TargetAnchorInitHook(mask_resolution='full')
