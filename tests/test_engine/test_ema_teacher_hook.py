"""EMATeacherHook: after every optimiser step, alpha of the authors' ramp, refusals."""
from types import SimpleNamespace

import pytest
import torch

from mmada.engine.hooks import EMATeacherHook, ema_teachers
from mmada.utils.errors import UserFacingError
from tests.helpers.segmentors import build_model, samples


def _model(mode='ema'):
    return build_model(batch_steps=[dict(type='PseudoLabelTeacher', mode=mode)],
                       domain_loss_weights=dict(pseudo=1.0))


def _step(model):
    torch.manual_seed(0)
    inputs = dict(source=torch.randn(1, 3, 16, 32), target=torch.randn(1, 3, 16, 32))
    data = dict(source=samples(torch.randint(0, 19, (1, 16, 32))),
                target=samples(torch.full((1, 16, 32), 255)))
    model.loss_and_outputs(inputs, data)


def _first(module):
    return next(module.parameters()).detach().clone()


def test_hook_updates_after_each_step_with_the_ramp():
    model = _model()
    _step(model)  # the teacher is the student now
    teacher = model.batch_steps[0]
    hook = EMATeacherHook(momentum=0.999)
    runner = SimpleNamespace(model=model, iter=0, optim_wrapper=None)
    hook.before_train(runner)
    t0 = _first(teacher.net.decode_head)
    with torch.no_grad():
        next(model.decode_head.parameters()).add_(1.0)  # an "optimiser step"
    s1 = _first(model.decode_head)
    hook.after_train_iter(runner, 0)
    t1 = _first(teacher.net.decode_head)
    torch.testing.assert_close(t1, 0.5 * t0 + 0.5 * s1)  # alpha = 1 - 1/2
    with torch.no_grad():
        next(model.decode_head.parameters()).add_(3.0)
    runner.iter = 1
    hook.after_train_iter(runner, 1)
    torch.testing.assert_close(_first(teacher.net.decode_head),
                               2 / 3 * t1 + 1 / 3 * _first(model.decode_head))
    assert int(teacher.num_updates) == 2
    # buffers (BatchNorm statistics) are the student's
    for t, s in zip(teacher.net.backbone.buffers(), model.backbone.buffers()):
        assert torch.equal(t, s)


def test_hook_skips_iterations_inside_a_gradient_accumulation():
    model = _model()
    _step(model)
    hook = EMATeacherHook()
    runner = SimpleNamespace(model=model, iter=0, optim_wrapper=None)  # no wrapper: steps
    hook.after_train_iter(runner, 0)
    assert int(model.batch_steps[0].num_updates) == 1
    from mmengine.optim import OptimWrapper
    opt = torch.optim.SGD(model.parameters(), lr=0.)
    wrapper = OptimWrapper(opt, accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, 4)
    wrapper._inner_count = 1  # one of two accumulated iterations done
    runner.optim_wrapper = wrapper
    hook.after_train_iter(runner, 0)
    assert int(model.batch_steps[0].num_updates) == 1


def test_hook_refuses_a_model_without_an_ema_teacher():
    runner = SimpleNamespace(model=_model(mode='frozen'), iter=0, optim_wrapper=None)
    assert ema_teachers(runner.model) == []
    with pytest.raises(UserFacingError, match="mode='ema'"):
        EMATeacherHook().before_train(runner)
    with pytest.raises(ValueError, match='momentum'):
        EMATeacherHook(momentum=1.5)
