"""ActiveTargetDataset: a target dataset config wrapped as it is never trains on ground truth."""
import pytest
from mmengine.registry import DefaultScope
from mmseg.datasets import BaseSegDataset

from mmada.datasets import ActiveTargetDataset
from mmada.datasets.active_dataset import active_pipeline

@pytest.fixture(autouse=True)
def mmada_scope():
    """Transforms are built in the mmada scope, as under the runner."""
    with DefaultScope.overwrite_default_scope('mmada'):
        yield


AUGMENT = [dict(type='RandomFlip', prob=0.5), dict(type='PackSegInputs')]


def lazy_dataset(pipeline, tmp_path):
    return dict(type='mmseg.BaseSegDataset', data_root=str(tmp_path), lazy_init=True,
                data_prefix=dict(img_path='img', seg_map_path='ann'), pipeline=pipeline)


def test_load_annotations_becomes_load_active_labels():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')] + AUGMENT
    out = active_pipeline(pipeline)
    assert [t['type'] for t in out] == [
        'LoadImageFromFile', 'LoadActiveLabels', 'RandomFlip', 'PackSegInputs']
    assert pipeline[1] == dict(type='LoadAnnotations')  # the input is not modified
    scoped = active_pipeline([dict(type='mmseg.LoadAnnotations')] + AUGMENT)
    assert scoped[0] == dict(type='LoadActiveLabels')


def test_explicit_load_active_labels_is_kept():
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='LoadActiveLabels', with_pseudo=True)] + AUGMENT
    assert active_pipeline(pipeline) == pipeline


@pytest.mark.parametrize('pipeline,match', [
    ([dict(type='LoadImageFromFile')] + AUGMENT, '0 label loaders'),
    ([dict(type='LoadAnnotations'), dict(type='LoadActiveLabels')], '2 label loaders'),
    ([dict(type='LoadAnnotations', reduce_zero_label=True)], 'reduce_zero_label'),
])
def test_pipelines_that_cannot_be_made_active_are_refused(pipeline, match):
    with pytest.raises(ValueError, match=match):
        active_pipeline(pipeline)


def test_wrapping_a_config_builds_the_active_pipeline(tmp_path):
    cfg = lazy_dataset([dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')] + AUGMENT,
                       tmp_path)
    ds = ActiveTargetDataset(cfg)
    names = [type(t).__name__ for t in ds.dataset.pipeline.transforms]
    assert names == ['LoadImageFromFile', 'LoadActiveLabels', 'RandomFlip', 'PackSegInputs']
    assert cfg['pipeline'][1] == dict(type='LoadAnnotations')


def test_a_built_dataset_that_loads_ground_truth_is_refused(tmp_path):
    built = BaseSegDataset(data_root=str(tmp_path), lazy_init=True,
                           pipeline=[dict(type='LoadImageFromFile'),
                                     dict(type='LoadAnnotations')])
    with pytest.raises(ValueError, match='loads ground truth'):
        ActiveTargetDataset(built)


def test_acquisition_pipeline_must_not_load_labels(tmp_path):
    cfg = lazy_dataset([dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')], tmp_path)
    with pytest.raises(ValueError, match='must not load labels'):
        ActiveTargetDataset(cfg, acquisition_pipeline=[dict(type='LoadImageFromFile'),
                                                       dict(type='LoadAnnotations')])
