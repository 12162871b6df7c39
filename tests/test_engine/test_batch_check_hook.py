"""TrainBatchCheckHook: the images per domain it reads from a train dataloader
(the refusal through a config is in test_online_training.py)."""
from mmengine.dataset import DefaultSampler, InfiniteSampler, pseudo_collate
from torch.utils.data import DataLoader

from mmada.datasets import TwoDomainDataset
from mmada.engine.hooks.batch_check_hook import images_per_batch, images_per_domain


class Items(list):
    metainfo = dict(classes=('a', 'b'), palette=[[0, 0, 0], [1, 1, 1]])
    ignore_index = 255


def loader(dataset, batch_size, sampler, drop_last=False):
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last,
                      collate_fn=pseudo_collate)


def test_fewest_images_per_batch():
    data = Items(range(5))
    # an infinite sampler always fills its batches
    assert images_per_batch(loader(data, 2, InfiniteSampler(data, seed=0))) == 2
    # a finite epoch of 5 in batches of 2 ends with a batch of 1, unless dropped
    assert images_per_batch(loader(data, 2, DefaultSampler(data, seed=0))) == 1
    assert images_per_batch(loader(data, 2, DefaultSampler(data, seed=0), drop_last=True)) == 2
    assert images_per_batch(loader(Items(range(4)), 2, DefaultSampler(Items(range(4))))) == 2


def test_images_per_domain_of_a_two_domain_loader():
    two = TwoDomainDataset(Items(range(4)), Items(range(3)))
    assert images_per_domain(loader(two, 2, InfiniteSampler(two, seed=0)), 'source') == \
        dict(source=2, target=2)
    single = Items(range(4))
    assert images_per_domain(loader(single, 2, InfiniteSampler(single, seed=0)), 'target') == \
        dict(target=2)


def _steps_model(steps):
    from tests.helpers.segmentors import build_model
    return build_model(batch_steps=steps, domain_loss_weights=dict(pseudo=0.0))


def test_a_teacher_without_a_target_domain_is_refused_naming_step_and_loader():
    import pytest
    model = _steps_model([dict(type='PseudoLabelTeacher', mode='ema'),
                          dict(type='DACSMix', domain='pseudo')])
    model.check_batch_size(dict(source=2, target=2))  # two domains: fine
    with pytest.raises(ValueError) as err:
        model.check_batch_size(dict(source=2))  # a source-only loader
    msg = str(err.value)
    assert 'PseudoLabelTeacher (model.batch_steps.0)' in msg and "['target']" in msg
    assert "train_dataloader yields ['source']" in msg
    with pytest.raises(ValueError, match=r"DACSMix \(model.batch_steps.1\).*\['source'\]"):
        model.check_batch_size(dict(target=2))  # target only: the teacher runs, DACS cannot


def test_a_region_mixer_with_a_point_acquisition_is_refused_naming_both():
    import pytest
    from mmengine.config import Config

    from mmada.engine.hooks.batch_check_hook import check_label_density, sparse_acquisition
    model = _steps_model([dict(type='PseudoLabelTeacher', mode='frozen'),
                          dict(type='AdaptiveCopyPaste', num_classes=19)])
    hooks = [dict(type='EMATeacherHook'), dict(type='ActiveLearningHook')]
    points = Config(dict(custom_hooks=hooks, active_learning=dict(
        unit=dict(type='GridPointsUnit', grid=(8, 16)))))
    regions = Config(dict(custom_hooks=hooks, active_learning=dict(
        unit=dict(type='SquareRegionUnit', k=1))))
    assert sparse_acquisition(points) == 'active_learning.unit (GridPointsUnit)'
    assert sparse_acquisition(regions) is None
    assert sparse_acquisition(Config(dict(active_learning=points.active_learning))) is None  # no hook
    pixels = Config(dict(custom_hooks=[dict(type='ActiveLearningHook',
                                            unit=dict(type='PixelUnit'))]))
    assert sparse_acquisition(pixels) == 'custom_hooks.0.unit (PixelUnit)'
    check_label_density(model.batch_steps, regions)
    with pytest.raises(ValueError) as err:
        check_label_density(model.batch_steps, points)
    msg = str(err.value)
    assert 'AdaptiveCopyPaste (model.batch_steps.1)' in msg
    assert 'active_learning.unit (GridPointsUnit)' in msg
    # DACS pastes source regions: points on the target are fine
    dacs = _steps_model([dict(type='PseudoLabelTeacher', mode='ema', out_domain='target'),
                         dict(type='DACSMix')])
    check_label_density(dacs.batch_steps, points)
