"""ACM / ACP (MADAv2 Eqs. 9-12): statistics on hand values, image and label stay aligned,
nothing is pasted onto (or taken from) an ignored pixel, the statistics really update."""
import math

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torch import nn

from mmada.models.mixers import (AdaptiveCopyPaste, AdaptiveCutMix, adaptive_copy_paste,
                                 adaptive_cutmix, class_confidence, class_sampling_probs,
                                 cutmix_box, update_class_confidence)
from mmada.models.mixers.cutmix_boxes import region_box
from mmada.registry import MODELS

IGN = 255


def encoded(labels):
    """Images whose channel 0 is the label and channel 1 the image index: after a
    mix, channel 0 == label wherever the pixel is labelled iff they moved together."""
    b = labels.shape[0]
    img = torch.zeros(b, 3, *labels.shape[1:])
    img[:, 0] = labels.float()
    img[:, 1] = torch.arange(b).float()[:, None, None]
    return img


def test_class_confidence_hand_value():
    # class 0 at pixels with p0 = 0.5, 0.25; class 1 at a pixel with p1 = 0.8; one ignored
    p0 = torch.tensor([0.5, 0.25, 0.2, 0.9])
    logits = torch.stack([p0, 1 - p0]).log()[None, :, None, :]
    labels = torch.tensor([[[0, 0, 1, IGN]]])
    conf, present = class_confidence(logits, labels, num_classes=3)
    assert conf[0].item() == pytest.approx((math.log(0.5) + math.log(0.25)) / 2, abs=1e-6)
    assert conf[1].item() == pytest.approx(math.log(0.8), abs=1e-6)
    assert present.tolist() == [True, True, False] and conf[2] == 0


def test_confidence_ema_and_sampling_probs():
    stat, seen = torch.zeros(3), torch.zeros(3, dtype=torch.bool)
    stat, seen = update_class_confidence(stat, seen, torch.tensor([-1., -2., 0.]),
                                         torch.tensor([True, False, False]), momentum=0.9)
    assert stat.tolist() == [-1., 0., 0.] and seen.tolist() == [True, False, False]
    stat, seen = update_class_confidence(stat, seen, torch.tensor([-2., -2., 0.]),
                                         torch.tensor([True, True, False]), momentum=0.9)
    assert stat.tolist() == pytest.approx([-1.1, -2., 0.])
    probs = class_sampling_probs(torch.tensor([0., -1., -1.]))  # softmax(1, 2, 2)
    e = [math.exp(1), math.exp(2), math.exp(2)]
    assert probs.tolist() == pytest.approx([x / sum(e) for x in e])
    probs = class_sampling_probs(torch.tensor([0., -1., -1.]), classes=[0, 2])
    assert probs[1] == 0 and probs[2].item() == pytest.approx(math.e / (1 + math.e))


def test_cutmix_box_area_and_position():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        y0, x0, y1, x1 = cutmix_box((32, 64), 0.5, (31, 0), g)
        assert 0 <= y0 < y1 <= 32 and 0 <= x0 < x1 <= 64
        assert abs((y1 - y0) * (x1 - x0) - 0.5 * 32 * 64) <= 32 + 64
        assert y0 <= 31 < y1 and x0 <= 0 < x1  # contains the centre pixel


def test_cutmix_keeps_image_and_label_aligned_and_avoids_ignore():
    torch.manual_seed(0)
    labels = torch.randint(0, 4, (3, 16, 24))
    labels[0, :4] = IGN        # destination ignore: must stay untouched
    labels[1, :, :3] = IGN     # source ignore: never taken
    labels[2, 8:, 12:] = 3     # a big block of class 3 in image 2
    images = encoded(labels)
    probs = torch.tensor([0., 0., 0., 1.])  # always class 3
    out_img, out_lab, masks = adaptive_cutmix(images, labels, probs, 0.5,
                                              torch.Generator().manual_seed(1))
    assert masks.any(1).any(1).all()
    valid = out_lab != IGN
    assert torch.equal(out_img[:, 0][valid], out_lab[valid].float())
    assert torch.equal(out_lab[0, :4], labels[0, :4])
    assert torch.equal(out_img[0, :, :4], images[0, :, :4])
    # pixels received come from another image, which is the one with most class 3
    for i in range(3):
        src = out_img[i, 1][masks[i]].unique().tolist()
        assert len(src) == 1 and src[0] != i
        assert not (labels[int(src[0])][masks[i]] == IGN).any()
    assert out_img[0, 1][masks[0]].unique().tolist() == [2.]
    # outside the masks nothing changed
    assert torch.equal(out_img[:, 0][~masks], images[:, 0][~masks])
    # deterministic for a seed
    again = adaptive_cutmix(images, labels, probs, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(again[0], out_img) and torch.equal(again[2], masks)


def test_acm_box_is_the_bounding_box_of_a_random_region_of_the_class():
    # The authors' stage-2 config (no_pad, no_slim; models/utils.py generate_cutmix):
    # the bounding box of a random 8-connected region of the drawn class larger than
    # area_thresh of the image, neither padded nor slimmed to half the image.
    labels = torch.zeros(10, 20, dtype=torch.long)
    labels[1:3, 2:5] = 1           # region A: 6 pixels, box (1, 2, 3, 5)
    labels[3, 5] = 1               # touches A diagonally: A's box grows to (1, 2, 4, 6)
    labels[6:9, 10:18] = 1         # region B: 24 pixels, box (6, 10, 9, 18)
    labels[0, 19] = 1              # one pixel: below area_thresh 0.005 x 200 = 1
    seen = set()
    for seed in range(30):
        seen.add(region_box(labels, 1, 0.005, torch.Generator().manual_seed(seed)))
    assert seen == {(1, 2, 4, 6), (6, 10, 9, 18)}
    assert region_box(labels, 1, 0.1, torch.Generator()) == (6, 10, 9, 18)  # only B > 20 px
    assert region_box(labels, 2, 0.005, torch.Generator()) is None  # absent class
    # in the mix: image 0 receives exactly B's box from image 1 (the most class-1 pixels)
    batch = torch.stack([torch.full((10, 20), 3), labels])
    batch[1, 1:5, 2:6] = 3  # only B is left in image 1
    out_img, out_lab, masks = adaptive_cutmix(encoded(batch), batch, torch.tensor([0., 1., 0., 0.]),
                                              0.5, torch.Generator().manual_seed(0))
    expected = torch.zeros(10, 20, dtype=torch.bool)
    expected[6:9, 10:18] = True
    assert torch.equal(masks[0], expected)
    assert torch.equal(out_lab[0][expected], batch[1][expected])
    # box='centred' keeps a box of half the image around a pixel of the class
    _, _, centred = adaptive_cutmix(encoded(batch), batch, torch.tensor([0., 1., 0., 0.]), 0.5,
                                    torch.Generator().manual_seed(0), box='centred')
    assert abs(int(centred[0].sum()) - 100) <= 30
    with pytest.raises(ValueError, match='box'):
        AdaptiveCutMix(num_classes=4, box='padded')


def test_cutmix_single_image_is_unchanged():
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    img, lab, masks = adaptive_cutmix(encoded(labels), labels, torch.ones(1), 0.5,
                                      torch.Generator())
    assert not masks.any() and torch.equal(lab, labels)


def test_copy_paste_pastes_only_tail_pixels_with_their_labels():
    labels = torch.full((3, 4, 6), IGN)
    labels[0] = torch.tensor([[0, 0, 5, 5, 0, 0]] * 4)
    labels[0, 0, :] = IGN                              # destination ignore row
    labels[1] = torch.tensor([[7, 7, 0, 3, 3, 0]] * 4)
    labels[1, 3, 0] = IGN
    # image 2 is unlabelled (all ignore): never a source nor a destination
    images = encoded(labels)
    out_img, out_lab, masks = adaptive_copy_paste(images, labels, classes=[3, 7])
    # image 0 receives class 3 and 7 pixels of image 1, except on its ignored row
    expect0 = torch.isin(labels[1], torch.tensor([3, 7])) & (labels[0] != IGN)
    assert torch.equal(masks[0], expect0)
    assert torch.equal(out_lab[0][expect0], labels[1][expect0])
    assert torch.equal(out_lab[0, 0], labels[0, 0])
    # image 1 receives image 0's class 5? no: 5 is not drawn; nothing else
    assert not masks[1].any() and not masks[2].any()
    assert torch.equal(out_img[2], images[2]) and torch.equal(out_lab[2], labels[2])
    valid = out_lab != IGN
    assert torch.equal(out_img[:, 0][valid], out_lab[valid].float())
    assert (out_img[0, 1][masks[0]] == 1).all()
    # fewer than two labelled images: nothing
    one = labels.clone()
    one[1] = IGN
    assert not adaptive_copy_paste(encoded(one), one, [3, 7])[2].any()


class _Seg(nn.Module):
    """What a batch step needs of the segmentor: the decode head's ignore index."""

    def __init__(self):
        super().__init__()
        self.decode_head = nn.Module()
        self.decode_head.ignore_index = IGN


def _samples(labels, logits):
    out = []
    for lab, log in zip(labels, logits):
        s = SegDataSample(metainfo=dict(img_shape=tuple(lab.shape)))
        s.gt_sem_seg = PixelData(data=lab[None])
        s.seg_logits = PixelData(data=log)
        out.append(s)
    return out


def test_mixer_modules_update_statistics_and_resume_identically():
    torch.manual_seed(0)
    labels = torch.randint(0, 4, (2, 8, 8))
    logits = torch.randn(2, 4, 8, 8)
    inputs = dict(pseudo=encoded(labels), target=encoded(labels))
    samples = dict(pseudo=_samples(labels, logits), target=_samples(labels, logits))
    acm = MODELS.build(dict(type='AdaptiveCutMix', num_classes=4, momentum=0.5))
    acp = MODELS.build(dict(type='AdaptiveCopyPaste', num_classes=4, head_classes=(0, ),
                            num_query=2, momentum=0.5))
    assert isinstance(acm, AdaptiveCutMix) and isinstance(acp, AdaptiveCopyPaste)
    conf, _ = class_confidence(logits, labels, 4)
    out_inputs, out_samples = acm(_Seg(), inputs, samples)
    assert torch.allclose(acm.confidence, conf) and acm.seen.all()  # first value taken
    assert out_inputs['target'] is inputs['target'] and inputs['pseudo'] is not out_inputs['pseudo']
    mixed = torch.stack([s.gt_sem_seg.data[0] for s in out_samples['pseudo']])
    assert torch.equal(out_inputs['pseudo'][:, 0], mixed.float())
    assert torch.equal(samples['pseudo'][0].gt_sem_seg.data[0], labels[0])  # input untouched
    acm(_Seg(), inputs, samples)
    assert torch.allclose(acm.confidence, conf)  # EMA of equal values
    acp(_Seg(), inputs, samples)
    assert acp.seen.all() and int(acp.num_calls) == 1
    # a copy resumed from the state continues with the same draws
    state = acm.state_dict()
    assert {'confidence', 'seen', 'num_calls'} <= set(state)
    other = MODELS.build(dict(type='AdaptiveCutMix', num_classes=4, momentum=0.5))
    other.load_state_dict(state)
    a = acm(_Seg(), inputs, samples)[0]['pseudo']
    b = other(_Seg(), inputs, samples)[0]['pseudo']
    assert torch.equal(a, b)
    acm.eval()
    before = acm.confidence.clone()
    acm(_Seg(), inputs, dict(pseudo=_samples(labels, torch.randn(2, 4, 8, 8))))
    assert torch.equal(acm.confidence, before)  # no statistics outside training


def test_mixer_needs_teacher_logits():
    labels = torch.zeros(2, 4, 4, dtype=torch.long)
    samples = _samples(labels, torch.zeros(2, 2, 4, 4))
    for s in samples:
        del s.seg_logits
    acm = AdaptiveCutMix(num_classes=2)
    with pytest.raises(RuntimeError, match='PseudoLabelTeacher'):
        acm(_Seg(), dict(pseudo=encoded(labels)), dict(pseudo=samples))
    with pytest.raises(ValueError, match='head_classes'):
        AdaptiveCopyPaste(num_classes=4, head_classes=(9, ))
