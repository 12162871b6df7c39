"""SparseLabelResize: a downscale keeps every clicked point (mmcv's nearest
neighbour keeps only those at even coordinates), at its scaled position."""
import mmcv
import numpy as np

from mmada.datasets.transforms.sparse_resize import SparseLabelResize, keep_sparse_labels


def _points():
    label = np.full((4, 8), 255, np.uint8)
    label[1, 3], label[2, 6] = 5, 7  # an odd and an even position
    return label


def test_nearest_neighbour_drops_the_odd_point_and_this_keeps_it():
    label = _points()
    nearest = mmcv.imresize(label, (4, 2), interpolation='nearest')
    assert nearest[0, 1] == 255 and nearest[1, 3] == 7  # (1, 3) lost, (2, 6) kept
    out = keep_sparse_labels(nearest, label)
    expected = np.full((2, 4), 255, np.uint8)
    # ceil(1 * 2 / 4), ceil(3 * 4 / 8); (2, 6) stays where nearest put it
    expected[1, 2], expected[1, 3] = 5, 7
    np.testing.assert_array_equal(out, expected)


def test_a_point_nearest_keeps_is_not_written_twice():
    # 2048 -> 1280 (x 0.625): nearest samples source columns 0, 1, 3, 4, 6, 8,
    # ...; source column 1 is output column 1, where floor(1 * 0.625) = 0
    # would write a second copy of it.
    label = np.full((1, 8), 255, np.uint8)
    label[0, 1], label[0, 2] = 3, 4  # kept by nearest, dropped by it
    nearest = mmcv.imresize(label, (5, 1), interpolation='nearest')
    assert nearest.tolist() == [[255, 3, 255, 255, 255]]
    assert keep_sparse_labels(nearest, label).tolist() == [[255, 3, 4, 255, 255]]


def test_transform_resizes_the_image_as_resize_and_keeps_the_points():
    img = np.arange(4 * 8 * 3, dtype=np.uint8).reshape(4, 8, 3)
    results = SparseLabelResize(scale=(4, 2), keep_ratio=False)(
        dict(img=img, gt_seg_map=_points(), img_shape=(4, 8), ori_shape=(4, 8)))
    assert results['img'].shape == (2, 4, 3) and results['img_shape'] == (2, 4)
    np.testing.assert_array_equal(results['img'], mmcv.imresize(img, (4, 2)))
    assert sorted(results['gt_seg_map'][results['gt_seg_map'] != 255].tolist()) == [5, 7]


def test_a_cell_with_two_points_keeps_the_last_and_upscaling_is_nearest():
    label = np.full((2, 2), 255, np.uint8)
    label[0, 0], label[0, 1] = 1, 2
    small = keep_sparse_labels(mmcv.imresize(label, (1, 1), interpolation='nearest'), label)
    assert small.tolist() == [[2]]  # raster order: (0, 1) after (0, 0)
    big = mmcv.imresize(label, (4, 4), interpolation='nearest')
    np.testing.assert_array_equal(keep_sparse_labels(big, label), big)
