"""The online oracle's hidden fields follow the augmentation exactly."""
import numpy as np
import pytest
from mmcv.transforms import Compose

from mmada.datasets.online_dataset import online_pipeline
from mmada.datasets.transforms import PackOnlineSegInputs
from mmada.registry import TRANSFORMS
from mmada.utils.fields import ORIGIN_OFFSET


def write_pair(tmp_path, h=30, w=40, seed=0):
    import mmcv
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    gt = rng.integers(0, 19, (h, w), dtype=np.uint8)
    gt[0, :5] = 255
    mmcv.imwrite(img, str(tmp_path / 'img.png'))
    mmcv.imwrite(gt, str(tmp_path / 'gt.png'))
    return gt


@pytest.mark.parametrize('augment', [
    [dict(type='Resize', scale=(64, 48), keep_ratio=False)],
    [dict(type='RandomResize', scale=(80, 60), ratio_range=(0.5, 1.5), keep_ratio=True),
     dict(type='RandomCrop', crop_size=(20, 24)), dict(type='RandomFlip', prob=1.0)],
])
def test_oracle_and_origin_index_move_with_the_labels(tmp_path, augment):
    from mmengine.registry import init_default_scope
    init_default_scope('mmada')
    gt = write_pair(tmp_path)
    pipeline = Compose([TRANSFORMS.build(t) for t in [
        dict(type='LoadImageFromFile'), dict(type='LoadOracleLabels'),
        dict(type='LoadAnnotations'), *augment, dict(type='PackOnlineSegInputs')]])
    info = dict(img_path=str(tmp_path / 'img.png'), seg_map_path=str(tmp_path / 'gt.png'),
                reduce_zero_label=False, seg_fields=[], active_key='img.png')
    out = pipeline(info)
    sample = out['data_samples']
    oracle = sample.oracle_sem_seg.data[0].numpy()
    origin = sample.origin_index.data[0].numpy() - ORIGIN_OFFSET
    labels = sample.gt_sem_seg.data[0].numpy()
    assert oracle.shape == origin.shape == labels.shape == tuple(out['inputs'].shape[1:])
    assert (origin >= 0).all() and (origin < gt.size).all()
    # The augmented ground truth is the original ground truth at the origin.
    np.testing.assert_array_equal(oracle, gt.reshape(-1)[origin])
    np.testing.assert_array_equal(labels, oracle)
    assert sample.metainfo['active_key'] == 'img.png'


def test_online_pipeline_inserts_the_oracle_transforms():
    pipe = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='RandomFlip', prob=0.5), dict(type='PackSegInputs', meta_keys=('img_path',))]
    out = online_pipeline(pipe)
    assert [t['type'] for t in out] == ['LoadImageFromFile', 'LoadOracleLabels',
                                       'LoadAnnotations', 'RandomFlip', 'PackOnlineSegInputs']
    assert out[-1]['meta_keys'] == ('img_path', )
    assert online_pipeline(out) == out
    with pytest.raises(ValueError, match='one label loader'):
        online_pipeline([dict(type='LoadImageFromFile'), dict(type='PackSegInputs')])


def test_pack_refuses_fields_a_transform_did_not_move():
    results = dict(img=np.zeros((4, 5, 3), np.uint8), gt_seg_map=np.zeros((4, 5), np.uint8),
                   oracle_seg_map=np.zeros((4, 5), np.uint8),
                   origin_index=np.zeros((2, 5), np.int32), active_key='k')
    with pytest.raises(ValueError, match='moved the image but not the seg fields'):
        PackOnlineSegInputs()(results)
