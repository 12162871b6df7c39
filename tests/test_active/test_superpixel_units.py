"""SLIC superpixels as selection units (RIPU Table 5): deterministic regions
that partition the image, greedy selection over whole superpixels, and a
training round through a config whose queries are whole superpixels."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch

from mmada.active import SuperpixelUnit, slic_regions
from mmada.active.base import ImageContext
from mmada.active.engine.round import read_rgb
from mmada.active.label_store import LabelStore
from tests.conftest import run_tool, tiny_config

RIPU_RA = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
PAPER = 'configs/ripu/ripu-superpixel_deeplabv2_r101_1xb2-40k_gta2cs-1280x640_ra2.2pct.py'


def _image(seed=0, shape=(48, 80)):
    """A piecewise-constant colour image with noise (superpixels follow its edges)."""
    g = torch.Generator().manual_seed(seed)
    h, w = shape
    cells = torch.randint(0, 256, (3, h // 8 + 1, w // 8 + 1), generator=g).float()
    img = cells.repeat_interleave(8, 1).repeat_interleave(8, 2)[:, :h, :w]
    img = img + torch.randn(3, h, w, generator=g) * 6
    return img.clamp(0, 255).to(torch.uint8)


def _ctx(image):
    return ImageContext(0, torch.zeros(image.shape[1:], dtype=torch.bool), torch.Generator(),
                        image_loader=lambda: image)


def test_superpixels_are_deterministic_and_partition_the_image():
    image = _image()
    a, b = slic_regions(image, 16), slic_regions(image.clone(), 16)
    assert torch.equal(a, b) and a.shape == image.shape[1:] and a.dtype == torch.int64
    n = int(a.max()) + 1
    sizes = torch.bincount(a.reshape(-1), minlength=n)
    # every pixel in exactly one region, every id used, ids 0..n-1
    assert int(a.min()) == 0 and (sizes > 0).all() and int(sizes.sum()) == a.numel()
    assert 48 * 80 / 16 / 3 < n < 48 * 80 / 16 * 3  # about H W / region_pixels regions
    # numbered in row-major order of their first pixel
    first = [int((a.reshape(-1) == r).nonzero()[0]) for r in range(n)]
    assert first == sorted(first)
    # SLIC follows colour edges: no superpixel straddles two 8x8 colour cells much
    cell = (torch.arange(48)[:, None] // 8) * 100 + torch.arange(80)[None] // 8
    purity = [float(torch.bincount(cell[a == r]).max()) / float(sizes[r]) for r in range(n)]
    assert np.median(purity) > 0.9


def _reference(score, regions, excluded, max_units):
    """Region means by a loop, available regions sorted by (mean desc, first pixel asc)."""
    flat = regions.reshape(-1)
    rows = []
    for r in range(int(flat.max()) + 1):
        pixels = (flat == r).nonzero().reshape(-1)
        if not excluded.reshape(-1)[pixels[0]]:
            rows.append((-float(score.reshape(-1)[pixels].double().mean()), int(pixels[0])))
    return [pos for _, pos in sorted(rows)[:max_units]]


@pytest.mark.parametrize('ties', [False, True])
def test_selection_is_whole_superpixels_in_score_order(ties):
    image = _image(1)
    unit = SuperpixelUnit(region_pixels=16)
    ctx = _ctx(image)
    g = torch.Generator().manual_seed(2)
    score = torch.rand(image.shape[1:], generator=g)
    if ties:
        score = torch.zeros(image.shape[1:])  # all tied: first pixels decide
    regions = unit.regions(score.shape, ctx)
    excluded = torch.zeros(score.shape, dtype=torch.bool)
    excluded.view(-1)[unit._anchors(regions)[3]] = True  # region 3 taken in an earlier round
    values, positions = unit.select(score, excluded, 10, ctx)
    assert positions.tolist() == _reference(score, regions, excluded, 10)
    assert (values[:-1] >= values[1:]).all()
    footprint = unit.footprint(positions, score.shape, ctx)
    picked = regions.reshape(-1)[positions]
    assert 3 not in picked.tolist()
    # the footprint is exactly the union of the picked superpixels
    assert torch.equal(footprint, torch.isin(regions, picked))
    assert torch.equal(unit.exclusion(positions, score.shape, ctx), footprint)
    assert int(unit.cost(positions, score.shape, ctx).sum()) == int(footprint.sum())
    # a second round with this round's exclusion picks none of them again
    _, again = unit.select(score, excluded | footprint, 10, ctx)
    assert not set(again.tolist()) & set(positions.tolist())
    with pytest.raises(ValueError, match='first pixels'):
        unit.footprint(positions + 1, score.shape, ctx)


def test_unit_needs_the_image_at_label_resolution():
    unit = SuperpixelUnit(region_pixels=16)
    with pytest.raises(ValueError, match='needs the image context'):
        unit.footprint(torch.zeros(1, dtype=torch.long), (4, 4), None)
    with pytest.raises(ValueError, match='has no image'):
        unit.regions((4, 4), ImageContext(0, torch.zeros(4, 4, dtype=torch.bool),
                                           torch.Generator()))
    from mmada.utils.errors import UserFacingError
    with pytest.raises(UserFacingError, match='label resolution'):
        unit.regions((4, 4), _ctx(_image()))


def test_paper_config_uses_slic_superpixels_of_the_rectangles_area():
    from mmengine.config import Config
    from mmada.registry import UNITS
    cfg = Config.fromfile(PAPER)
    unit = UNITS.build(cfg.active_learning.unit)
    assert isinstance(unit, SuperpixelUnit) and unit.nominal_pixels((640, 1280)) == 9
    assert cfg.active_learning.scorer.type == 'RIPUScorer'


@pytest.mark.e2e
def test_a_round_through_a_config_queries_whole_superpixels(tmp_path, bench_root):
    unit = dict(type='SuperpixelUnit', region_pixels=16)
    cfg = tiny_config(RIPU_RA, str(tmp_path), bench_root, max_iters=2, checkpoint_interval=2,
                      active_rounds=[1], **{'active_learning.unit': unit})
    work = str(tmp_path / 'w')
    run_tool(['tools/train.py', cfg, '--work-dir', work])
    store = LabelStore(osp.join(work, 'active_labels'))
    assert store.current_round == 1
    images = glob.glob(osp.join(bench_root, 'target', 'leftImg8bit', 'train', '**', '*.png'),
                       recursive=True)
    checked = 0
    for key in store.keys():
        path = [p for p in images if p.endswith(key) or osp.basename(p) == osp.basename(key)]
        assert len(path) == 1, (key, path)
        image = read_rgb(path[0])
        state = store.read(key, tuple(image.shape[1:]))
        labelled = torch.from_numpy(state.rounds > 0)
        if not labelled.any():
            continue
        regions = slic_regions(image, 16)
        # every superpixel is labelled entirely or not at all
        for r in torch.unique(regions[labelled]).tolist():
            assert labelled[regions == r].all(), (key, r)
        checked += 1
    assert checked > 0
