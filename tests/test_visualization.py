"""CBDA Appendix A picture: per-image share of selected pixels, DA vs RA."""
import numpy as np
import pytest

from mmada.visualization import draw_selection_distribution, selected_percentages


def test_selected_percentages_hand_values():
    # 9 of 100, 0 of 50 and 50 of 200 pixels -> 9 %, 0 %, 25 %
    assert selected_percentages([9, 0, 50], [100, 50, 200]).tolist() == [9., 0., 25.]
    for labelled, pixels in (([1], [0]), ([5], [4]), ([-1], [4]), ([1, 2], [3])):
        with pytest.raises(ValueError):
            selected_percentages(labelled, pixels)


def test_draw_selection_distribution_writes_one_png(tmp_path):
    import matplotlib.image as mpimg
    ra = selected_percentages([22] * 8, [1000] * 8)  # equal share: 2.2 % each
    da = selected_percentages([0, 5, 10, 20, 30, 40, 30, 41], [1000] * 8)
    out = draw_selection_distribution(dict(DA=da, RA=ra), str(tmp_path / 'r1' / 'a.png'),
                                      title='round 1')
    img = mpimg.imread(out)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert sorted(p.name for p in (tmp_path / 'r1').iterdir()) == ['a.png']  # no temp file left
    # A single run and a run whose images all have the same share work too.
    draw_selection_distribution(np.full(3, 2.2), str(tmp_path / 'b.png'))
    with pytest.raises(ValueError):
        draw_selection_distribution(dict(DA=[]), str(tmp_path / 'c.png'))
    assert not (tmp_path / 'c.png').exists()
