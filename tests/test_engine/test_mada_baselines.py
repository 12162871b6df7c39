"""Table 4's adversarial baseline through its config: the AdaptSegNet warm-up's segmenter
selects (its checkpoint loads into the plain segmentor) and its discriminator scores."""
import pytest
import os.path as osp

from mmada.active.label_store import LabelStore
from tests.conftest import run_tool, tiny_config

pytestmark = pytest.mark.e2e  # every test here launches tools or trains

WARMUP = 'configs/uda/adaptsegnet_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
ADVERSARIAL = 'configs/mada/adversarial-img5_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'


def test_adversarial_selection_from_the_warmup(tmp_path, bench_root):
    warm = str(tmp_path / 'warm')
    run_tool(['tools/train.py', tiny_config(WARMUP, str(tmp_path / 'c0'), bench_root,
                                            max_iters=2), '--work-dir', warm])
    ckpt = osp.join(warm, 'iter_2.pth')
    missing = tiny_config(ADVERSARIAL, str(tmp_path / 'c1'), bench_root, max_iters=1,
                          checkpoint_interval=1, load_from=ckpt,
                          **{'active_learning.scorer.checkpoint': str(tmp_path / 'no.pth')})
    proc = run_tool(['tools/train.py', missing, '--work-dir', str(tmp_path / 'w1')], check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert 'It is made by: python tools/train.py configs/uda/adaptsegnet' in proc.stderr
    cfg = tiny_config(ADVERSARIAL, str(tmp_path / 'c2'), bench_root, max_iters=1,
                      checkpoint_interval=1, load_from=ckpt,
                      **{'active_learning.scorer.checkpoint': ckpt,
                         'active_learning.budget.value': 3})
    work = str(tmp_path / 'w2')
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work])
    log = proc.stdout + proc.stderr
    # the segmentor part is loaded: nothing missing; only the warm-up's layer3 head is extra
    assert 'missing keys' not in log
    unexpected = [line for line in log.splitlines() if 'unexpected key' in line]
    assert all('segmentor.' not in line and 'discriminators' not in line for line in unexpected)
    assert log.index('[active] round 1:') < log.index('Iter(train) [1/1]')
    store = LabelStore(osp.join(work, 'active_labels'))
    picked = [k for k in store.keys() if (store.read(k, (64, 128)).rounds > 0).all()]
    assert len(picked) == 3 and store.budget_spent()['units'] == 3
