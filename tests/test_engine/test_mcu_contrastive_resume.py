"""ADA-MCU contrastive units through tools/train.py: DCCM and the draws' step
counter are in the checkpoint and come back exactly on --resume."""
import pytest
import os.path as osp

import torch

from tests.conftest import run_tool, tiny_config
from tests.helpers.stores import checkpoint_weights

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

CONFIG = 'configs/ada_mcu/mcu-contrastive-rounds_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def test_dccm_and_draws_resume_exactly(tmp_path, bench_root):
    opts = dict(active_rounds=[1])
    cfg4 = tiny_config(CONFIG, str(tmp_path), bench_root, max_iters=4, **opts)
    full = str(tmp_path / 'full')
    proc = run_tool(['tools/train.py', cfg4, '--work-dir', full])
    assert 'loss_mcu' in proc.stdout + proc.stderr
    part = str(tmp_path / 'part')
    cfg2 = tiny_config(CONFIG, str(tmp_path / 'c2'), bench_root, max_iters=4,
                       **dict(opts, **{'train_cfg.max_iters': 2}))
    run_tool(['tools/train.py', cfg2, '--work-dir', part])
    mid = checkpoint_weights(osp.join(part, 'iter_2.pth'))
    assert int(mid['extra_losses.0.num_steps']) == 2
    assert not torch.equal(mid['extra_losses.0.dccm'], torch.eye(19))  # updated
    run_tool(['tools/train.py', cfg4, '--work-dir', part, '--resume'])
    a, b = checkpoint_weights(osp.join(full, 'iter_4.pth')), checkpoint_weights(osp.join(part, 'iter_4.pth'))
    assert int(a['extra_losses.0.num_steps']) == int(b['extra_losses.0.num_steps']) == 4
    torch.testing.assert_close(a['extra_losses.0.dccm'], b['extra_losses.0.dccm'],
                               rtol=1e-5, atol=1e-6)
    # the whole model, projection head included, equals the uninterrupted run
    for k in a:
        if a[k].is_floating_point():
            torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    assert any(k.startswith('extra_losses.0.projector.') for k in a)
