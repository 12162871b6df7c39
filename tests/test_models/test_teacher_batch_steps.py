"""PseudoLabelTeacher and the batch-step extension point of TwoDomainSegmentor."""
import pytest
import torch

from mmada.models.teachers import (PseudoLabelTeacher, ema_momentum, merge_pseudo_labels,
                                   quality_weight)
from tests.helpers.segmentors import build_model, samples

IGN = 255


def test_merge_pseudo_labels_keeps_acquired_labels():
    logits = torch.tensor([[[[2., 0.1, 0.]], [[0., 0., 3.]]]])  # argmax 0, 0, 1; conf of px1 low
    labels = torch.tensor([[[IGN, IGN, 0]]])
    assert merge_pseudo_labels(labels, logits).tolist() == [[[0, 0, 0]]]
    assert merge_pseudo_labels(labels, logits, min_confidence=0.6).tolist() == [[[0, IGN, 0]]]


def _batch(n=2):
    torch.manual_seed(0)
    lab_t = torch.full((n, 32, 64), IGN)
    lab_t[0] = torch.randint(0, 19, (32, 64))  # one labelled target image, one unlabelled
    inputs = dict(source=torch.randn(n, 3, 32, 64), target=torch.randn(n, 3, 32, 64))
    data = dict(source=samples(torch.randint(0, 19, (n, 32, 64))), target=samples(lab_t))
    return inputs, data, lab_t


STEPS = [dict(type='PseudoLabelTeacher', mode='frozen'),
         dict(type='AdaptiveCopyPaste', num_classes=19),
         dict(type='AdaptiveCutMix', num_classes=19)]
LOSSES = [dict(type='OHEMCrossEntropyLoss', domain='pseudo', min_kept=100),
          dict(type='OHEMCrossEntropyLoss', domain='target', min_kept=100,
               loss_name='loss_ohem_labelled')]


def test_segmentor_runs_steps_and_trains_on_the_pseudo_domain():
    model = build_model(batch_steps=STEPS, extra_losses=LOSSES,
                        domain_loss_weights=dict(pseudo=0.0))
    inputs, data, lab_t = _batch()
    losses, outputs = model.loss_and_outputs(inputs, data)
    assert set(outputs) == {'source', 'target', 'pseudo'}
    assert 'pseudo.loss_ohem' in losses and 'target.loss_ohem_labelled' in losses
    assert 'pseudo.decode.loss_ce' not in losses  # weight 0: no supervised CE
    pseudo = outputs['pseudo']['gt_sem_seg']
    assert (pseudo != IGN).all()  # every pixel pseudo-labelled ...
    teacher = model.batch_steps[0]
    assert bool(teacher.initialised)
    assert all(not p.requires_grad for p in teacher.parameters())
    assert not teacher.net.training and model.training
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is None for p in teacher.parameters())
    state = model.state_dict()
    assert any(k.startswith('batch_steps.0.net.backbone.') for k in state)
    assert {'batch_steps.1.confidence', 'batch_steps.2.confidence',
            'batch_steps.0.initialised'} <= set(state)


@pytest.mark.e2e
def test_frozen_teacher_is_the_first_student_and_ema_moves():
    model = build_model(batch_steps=[dict(type='PseudoLabelTeacher', mode='frozen')],
                        domain_loss_weights=dict(pseudo=1.0))
    inputs, data, lab_t = _batch()
    _, outputs = model.loss_and_outputs(inputs, data)
    with torch.no_grad():
        student = model.decode_head(model.extract_feat(inputs['target']))
        student = torch.nn.functional.interpolate(student, (32, 64), mode='bilinear')
    expect = merge_pseudo_labels(lab_t, student)
    assert torch.equal(outputs['pseudo']['gt_sem_seg'], expect)
    assert torch.equal(outputs['pseudo']['gt_sem_seg'][0], lab_t[0])  # acquired labels win
    teacher = model.batch_steps[0]
    first = next(teacher.net.decode_head.parameters()).clone()
    assert torch.equal(first, next(model.decode_head.parameters()))
    with torch.no_grad():
        for p in model.decode_head.parameters():
            p.add_(1.0)
    model.loss_and_outputs(inputs, data)
    assert torch.equal(next(teacher.net.decode_head.parameters()), first)  # frozen

    ema = build_model(batch_steps=[dict(type='PseudoLabelTeacher', mode='ema')],
                      domain_loss_weights=dict(pseudo=1.0))
    ema.loss_and_outputs(inputs, data)
    teacher = ema.batch_steps[0]
    t = next(teacher.net.decode_head.parameters()).clone()
    s = next(ema.decode_head.parameters())
    with torch.no_grad():
        s.add_(2.0)
    teacher.update_teacher(ema, 0.5)  # what EMATeacherHook calls after the optimiser step
    moved = next(teacher.net.decode_head.parameters()).clone()
    assert torch.allclose(moved, 0.5 * t + 0.5 * s)
    assert int(teacher.num_updates) == 1
    ema.loss_and_outputs(inputs, data)  # the forward does not move it
    assert torch.equal(next(teacher.net.decode_head.parameters()), moved)


def test_ema_teacher_without_its_hook_stops_at_the_second_step():
    model = build_model(batch_steps=[dict(type='PseudoLabelTeacher', mode='ema')],
                        domain_loss_weights=dict(pseudo=1.0))
    inputs, data, _ = _batch()
    model.loss_and_outputs(inputs, data)
    with pytest.raises(RuntimeError, match='EMATeacherHook'):
        model.loss_and_outputs(inputs, data)


def test_quality_weight_is_the_confident_share_and_one_on_true_labels():
    # 4 pixels, probabilities of the top class: ~0.99, ~0.99, 0.5, 0.5 -> share 2/4 ...
    big = torch.log(torch.tensor(99.))
    logits = torch.tensor([[[[big, big, 0., 0.]], [[0., 0., 0., 0.]]]])
    labelled = torch.zeros(1, 1, 4, dtype=torch.bool)
    assert quality_weight(logits, labelled).tolist() == [[[0.5, 0.5, 0.5, 0.5]]]
    # ... a labelled pixel (the last) weighs 1 and leaves the share over the other three
    labelled[0, 0, 3] = True
    w = quality_weight(logits, labelled)
    torch.testing.assert_close(w, torch.tensor([[[2 / 3, 2 / 3, 2 / 3, 1.]]]))
    # the top / bottom rows of pseudo labels weigh 0 (the authors' pseudo-label crop)
    logits3 = logits.expand(1, 2, 3, 4)
    w = quality_weight(logits3, torch.zeros(1, 3, 4, dtype=torch.bool), ignore_top=1,
                       ignore_bottom=1)
    assert w[0, 0].eq(0).all() and w[0, 2].eq(0).all() and w[0, 1].eq(0.5).all()


def test_teacher_puts_quality_weights_on_the_pseudo_domain_only():
    model = build_model(batch_steps=[dict(type='PseudoLabelTeacher', quality_threshold=0.)],
                        domain_loss_weights=dict(pseudo=1.0))
    inputs, data, lab_t = _batch()
    _, outputs = model.loss_and_outputs(inputs, data)
    assert outputs['pseudo']['seg_weight'].eq(1).all()  # threshold 0: every pixel confident
    assert outputs['target']['seg_weight'] is None


def test_ema_momentum_ramp_of_the_authors():
    assert [ema_momentum(k, 0.999) for k in (1, 2, 3)] == pytest.approx([0.5, 2 / 3, 0.75])
    assert ema_momentum(5000, 0.999) == 0.999
    assert ema_momentum(1, 0.99, ramp=False) == 0.99


def test_added_domain_needs_a_weight():
    with pytest.raises(ValueError, match='domain_loss_weights'):
        build_model(batch_steps=[dict(type='PseudoLabelTeacher')])
    with pytest.raises(ValueError, match='mode'):
        PseudoLabelTeacher(mode='student')


def test_segmentor_loads_the_segmentor_part_of_a_wrapping_checkpoint():
    # e.g. MADA's stage 1 starting from the AdaptSegNet warm-up's checkpoint
    torch.manual_seed(1)
    trained = build_model()
    wrapped = {f'segmentor.{k}': v for k, v in trained.state_dict().items()}
    wrapped['discriminators.main.layers.0.weight'] = torch.zeros(1)
    torch.manual_seed(2)
    fresh = build_model()
    missing, unexpected = fresh.load_state_dict(wrapped, strict=False)
    assert not missing and not unexpected
    for k, v in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
