"""tools/pipeline.py: the synthetic point-supervision pipeline (source only ->
G1 -> selection -> G2) end to end on fixtures; a rerun skips finished stages and
resumes the interrupted one; a stage whose input is missing fails before work and
names the command that produces it; pipeline files are checked before work."""
import glob
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmada.active.label_store import LabelStore
from mmada.engine.pipeline import MARKER, Pipeline
from mmada.utils import UserFacingError
from tests.conftest import ROOT, run_tool, tiny_config

PIPELINE = 'configs/pipelines/point_sup_synthetic.py'
# G2 is killed after its 3rd iteration (not on a rerun with MMADA_NO_KILL) and
# records the target labels its loss is given.
KILL = dict(custom_imports=dict(imports=['tests.helpers.kill_hook',
                                         'tests.helpers.target_labels_hook'],
                                allow_failed_imports=False),
            custom_hooks=[dict(type='KillAfterIterHook', at=3),
                          dict(type='RecordTargetLabelsHook')])
H, W, K, N = 64, 128, 10, 5


def tiny_pipeline(tmp, bench_root, kill_g2=False) -> str:
    """The shipped pipeline with every stage's config shrunk to the fixtures."""
    cfg = Config.fromfile(osp.join(ROOT, PIPELINE)).to_dict()
    for name, stage in cfg['stages'].items():
        extra = KILL if kill_g2 and name == 'g2' else {}
        stage['config'] = tiny_config(stage['config'], str(tmp / 'cfg'), bench_root,
                                      max_iters=4, checkpoint_interval=2, **extra)
        stage['work_dir'] = str(tmp / 'w' / name)
    path = str(tmp / 'pipeline.py')
    with open(path, 'w') as f:  # repr keeps the stage order (Config.dump sorts keys)
        f.write(f"work_dir = {str(tmp / 'w')!r}\nstages = {cfg['stages']!r}\n")
    return path


def pipeline(args, env=None):
    proc = run_tool(['tools/pipeline.py'] + list(args), env=env, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def interrupted(tmp_path_factory, bench_root):
    """The pipeline run until G2 is killed after its 3rd iteration."""
    tmp = tmp_path_factory.mktemp('pipeline')
    path = tiny_pipeline(tmp, bench_root, kill_g2=True)
    status, out = pipeline([path])
    return tmp, path, status, out


@pytest.mark.e2e
def test_missing_input_fails_before_work_with_its_command(tmp_path, bench_root):
    path = tiny_pipeline(tmp_path, bench_root)
    status, out = pipeline([path, '--only', 'g2'])
    source = str(tmp_path / 'w' / 'source_only' / 'iter_4.pth')
    assert status == 1 and f"stage 'g2' needs {source} (the checkpoint of stage " \
        "'source_only')" in out  # the first missing input
    os.makedirs(osp.dirname(source))
    open(source, 'wb').close()  # present (never read: G2 does not start)
    status, out = pipeline([path, '--only', 'g2'])
    store = str(tmp_path / 'w' / 'select' / 'active_labels')
    assert status == 1
    assert (f"stage 'g2' needs {store} (the label_store of stage 'select'), which does not "
            "exist. Stage 'select' produces it:") in out
    assert f'python tools/pipeline.py {path} --only select' in out
    assert '(runs: python tools/select.py ' in out and 'Traceback' not in out
    status, out = pipeline([path, '--from', 'select'])
    assert status == 1 and "stage 'select' needs" in out and 'iter_4.pth' in out
    assert not osp.exists(str(tmp_path / 'w' / 'g2')) and not osp.exists(store)


@pytest.mark.e2e
def test_pipeline_runs_every_stage_in_order_until_interrupted(interrupted):
    tmp, _, status, out = interrupted
    assert status != 0 and "stage 'g2' failed" in out and 'run the same command again' in out
    order = [out.index(f"[pipeline] stage '{n}' (") for n in ('source_only', 'g1', 'select', 'g2')]
    assert order == sorted(order)
    w = tmp / 'w'
    for name in ('source_only', 'g1'):
        assert osp.isfile(w / name / 'iter_4.pth') and osp.isfile(w / name / MARKER)
    assert f'load_from={w}/source_only/iter_4.pth' in out  # G1 and G2 start from it
    assert f'tools/select.py {tmp}/cfg/point_sup_' in out and f'{w}/g1/iter_4.pth' in out
    assert LabelStore(str(w / 'select' / 'active_labels')).current_round == 1
    assert osp.isfile(w / 'g2' / 'iter_2.pth') and not osp.isfile(w / 'g2' / 'iter_4.pth')
    assert not osp.isfile(w / 'g2' / MARKER)


@pytest.mark.e2e
def test_rerun_skips_finished_stages_and_resumes_the_interrupted_one(interrupted):
    tmp, path, _, _ = interrupted
    w = tmp / 'w'
    before = {p: os.stat(p).st_mtime_ns for p in glob.glob(str(w / '*' / '*.pth'))}
    status, out = pipeline([path], env=dict(MMADA_NO_KILL='1'))
    assert status == 0, out[-3000:]
    for name in ('source_only', 'g1', 'select'):
        kind = 'select' if name == 'select' else 'train'
        assert f"[pipeline] stage '{name}' ({kind}): done, skipped" in out
    assert f'--resume: continuing from {w}/g2/iter_2.pth' in out
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    assert osp.isfile(w / 'g2' / 'iter_4.pth') and osp.isfile(w / 'g2' / MARKER)
    assert '[pipeline] all 4 stages done' in out
    for p, mtime in before.items():
        assert os.stat(p).st_mtime_ns == mtime, p  # nothing finished was touched

    check_stage2_losses_saw_store_labels_only(w, out)

    status, out = pipeline([path])  # everything done: nothing runs
    assert status == 0 and out.count('done, skipped') == 4 and 'Iter(train)' not in out

    # The same work dir with another selection is refused, not silently skipped.
    other = tiny_config('configs/point_sup/point_sup-k0_deeplabv2-r18-tiny_1xb2-300_synthetic-'
                        '128x256.py', str(tmp / 'cfg'), str(tmp / 'unused'))
    status, out = pipeline([path, '--cfg-options', f'stages.select.config={other}'])
    assert status == 1
    assert f"stage 'select': {w}/select holds a run finished with another command" in out


def _losses(log: str, name: str) -> list:
    return [float(line.split(f' {name}: ')[1].split()[0]) for line in log.splitlines()
            if 'Iter(train)' in line and f' {name}: ' in line]


@pytest.mark.e2e
def test_stage1_is_unsupervised_advent(interrupted):
    _, _, _, out = interrupted
    g1 = out[out.index("[pipeline] stage 'g1' ("):out.index("[pipeline] stage 'select' (")]
    assert len(_losses(g1, 'disc.loss_d_main')) == 4 and len(_losses(g1, 'disc.loss_d_aux')) == 4
    assert not _losses(g1, 'target.decode.loss_ce')  # no target label in stage 1


def check_stage2_losses_saw_store_labels_only(w, out: str) -> None:
    """G2's iterations 3-4 (resumed): CE on source and on the store's target labels
    (oracle points + pseudo labels, nothing else), AdvEnt on both levels."""
    for name in ('target.decode.loss_ce', 'target.aux.loss_ce', 'source.decode.loss_ce',
                 'disc.loss_d_main', 'disc.loss_d_aux'):
        values = _losses(out, name)
        assert len(values) == 2 and all(np.isfinite(values)), name
    store = LabelStore(str(w / 'select' / 'active_labels'))
    assert store.budget_spent()['pixels'] == 12 * K * N  # pseudo labels are never budget
    seen = torch.load(str(w / 'g2' / 'target_labels.pt'), weights_only=False)
    assert len(seen) == 2 * 2  # iterations 3 and 4, batches of 2
    keys = {osp.basename(k): k for k in store.keys()}
    for img_path, flipped, label in seen:
        state = store.read(keys[osp.basename(img_path)], (H, W))
        asked = state.rounds > 0
        expected = np.where(asked, state.labels, state.pseudo)
        if flipped:
            expected = expected[:, ::-1]
        np.testing.assert_array_equal(label.numpy(), expected)
        assert asked.sum() == K * N and (label != 255).sum() == 128 * N  # 50 + 590 points


@pytest.mark.e2e
def test_stage2_without_its_selection_stops_before_training(tmp_path, bench_root):
    empty = str(tmp_path / 'no_selection' / 'active_labels')
    cfg = tiny_config('configs/point_sup/point_sup-g2_deeplabv2-r18-tiny_1xb2-300_synthetic-'
                      '128x256.py', str(tmp_path), bench_root,
                      **{'train_dataloader.dataset.target.label_store_dir': empty})
    proc = run_tool(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'g2')], check=False)
    assert proc.returncode == 1
    assert f'the label store {empty} holds 0 committed round(s), 1 required' in proc.stderr
    assert 'Traceback' not in proc.stderr and not list((tmp_path / 'g2').glob('*.pth'))


def _write(tmp, stages) -> str:
    path = str(tmp / 'p.py')
    with open(path, 'w') as f:
        f.write(f'stages = {stages!r}\n')
    return path


def test_bad_pipeline_files_are_refused_before_work(tmp_path):
    cfg = 'configs/point_sup/point_sup-g1-advent_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
    cases = {
        "refers to {g2.checkpoint}, which is not an output of an earlier stage": dict(
            g1=dict(type='train', config=cfg, load_from='{g2.checkpoint}'),
            g2=dict(type='train', config=cfg)),
        "stage 'a' has type 'fit'; known types: ['select', 'tool', 'train']": dict(
            a=dict(type='fit', config=cfg)),
        "stage 'a' (train): unknown keys ['checkpoint']": dict(
            a=dict(type='train', config=cfg, checkpoint='x.pth')),
        "config nothere.py does not exist": dict(a=dict(type='train', config='nothere.py')),
    }
    for message, stages in cases.items():
        with pytest.raises(UserFacingError, match='.*'.join(map(_escape, message.split('*')))):
            Pipeline(_write(tmp_path, stages))


def _escape(text: str) -> str:
    import re
    return re.escape(text)


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(ROOT, 'configs', 'pipelines', '*.py'))),
                         ids=osp.basename)
def test_shipped_pipelines_resolve(path):
    p = Pipeline(path)
    for name, stage in p.stages.items():
        stage.check_ready()  # configs and scripts exist
        for ref, key, _ in p.inputs[name]:
            assert list(p.stages).index(ref) < list(p.stages).index(name)
    if osp.basename(path).startswith('mada'):  # MADA / MADAv2: stage 2 reads stage 1's labels
        assert list(p.stages)[-2:] == ['stage1', 'stage2']
        s2 = p.stages['stage2'].spec
        assert s2['load_from'] == p.outputs['stage1']['checkpoint']
        assert s2['cfg_options']['train_dataloader.dataset.target.label_store_dir'] == \
            osp.join(p.outputs['stage1']['work_dir'], 'active_labels')
        return
    assert list(p.stages)[-3:] == ['g1', 'select', 'g2']
    assert p.outputs['g2']['config'].split('/')[-1].startswith('point_sup-g2_')
    assert p.stages['select'].spec['checkpoint'] == p.outputs['g1']['checkpoint']
