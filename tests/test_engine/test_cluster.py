"""Cluster runs: SLURM launchers (fake srun), SIGTERM -> checkpoint -> --resume."""
import pytest
import glob
import os
import os.path as osp
import subprocess
import sys

import torch

from tests.conftest import ROOT, run_tool, tiny_config
from tests.helpers.stores import assert_same_store, store_snapshot
from tests.helpers.launch import free_port

RIPU_RA = 'configs/ripu/ripu-ra2.2_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
SUPERVISED = 'configs/baselines/supervised_deeplabv2-r18-tiny_1xb2-300_synthetic-128x256.py'
FAKE_SRUN = '#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "$SRUN_LOG"\nenv > "$SRUN_LOG.env"\n'


def _srun(tmp_path, script, args, **env):
    """Run a SLURM launcher with a fake ``srun`` on PATH; return srun's argv and env."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755)
    log = str(tmp_path / 'srun.args')
    full_env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}', SRUN_LOG=log,
                    PYTHON='python3', **env)
    for key in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS'):
        if key not in env:
            full_env.pop(key, None)
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', script)] + args, cwd=str(tmp_path),
                          env=full_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    srun_env = dict(line.split('=', 1) for line in open(log + '.env').read().splitlines()
                    if '=' in line)
    return open(log).read().splitlines(), srun_env


def test_slurm_train_builds_multi_node_srun_line_and_always_resumes(tmp_path):
    args, env = _srun(tmp_path, 'slurm_train.sh',
                      ['gpu', 'ripu', 'configs/x.py', 'work_dirs/x', '--cfg-options', 'a=1'],
                      GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='6',
                      SRUN_ARGS='--time=24:00:00 --signal=TERM@300')
    train = osp.join(ROOT, 'tools', 'train.py')
    assert args == ['-p', 'gpu', '--job-name=ripu', '--gres=gpu:8', '--ntasks=16',
                    '--ntasks-per-node=8', '--cpus-per-task=6', '--kill-on-bad-exit=1',
                    '--time=24:00:00', '--signal=TERM@300',
                    'python3', '-u', train, 'configs/x.py', '--work-dir', 'work_dirs/x',
                    '--launcher', 'slurm', '--resume', '--cfg-options', 'a=1']
    assert env['PYTHONPATH'].split(':')[0] == osp.join(ROOT, 'tools', '..')


def test_slurm_train_defaults_and_optional_work_dir(tmp_path):
    args, _ = _srun(tmp_path, 'slurm_train.sh', ['p', 'j', 'c.py', '--amp'], GPUS='2')
    assert args[:8] == ['-p', 'p', '--job-name=j', '--gres=gpu:2', '--ntasks=2',
                        '--ntasks-per-node=2', '--cpus-per-task=5', '--kill-on-bad-exit=1']
    assert args[8:] == ['python3', '-u', osp.join(ROOT, 'tools', 'train.py'), 'c.py',
                        '--launcher', 'slurm', '--resume', '--amp']
    args, _ = _srun(tmp_path, 'slurm_train.sh', ['p', 'j', 'c.py'])  # mmseg's defaults
    assert args[3:6] == ['--gres=gpu:4', '--ntasks=4', '--ntasks-per-node=4']


def test_slurm_test_builds_srun_line(tmp_path):
    args, _ = _srun(tmp_path, 'slurm_test.sh', ['p', 'eval', 'c.py', 'w/iter_8.pth', '--no-tta'],
                    GPUS='8', GPUS_PER_NODE='4')
    assert args == ['-p', 'p', '--job-name=eval', '--gres=gpu:4', '--ntasks=8',
                    '--ntasks-per-node=4', '--cpus-per-task=5', '--kill-on-bad-exit=1',
                    'python3', '-u', osp.join(ROOT, 'tools', 'test.py'), 'c.py', 'w/iter_8.pth',
                    '--launcher', 'slurm', '--no-tta']
    proc = subprocess.run(['bash', osp.join(ROOT, 'tools', 'slurm_test.sh'), 'p', 'j', 'c.py'],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'usage:' in proc.stderr


def test_first_host_of_slurm_node_lists():
    from mmada.utils.config import first_host
    assert first_host('node07') == 'node07'
    assert first_host('node[03-05,09]') == 'node03'
    assert first_host('gpu[1,3-5],cpu[2-3]') == 'gpu1'
    assert first_host('a-b,c') == 'a-b'
    assert first_host('rack[2-3]-n[4-6]') == 'rack2-n4'


def test_slurm_env_maps_the_task_variables_and_refuses_a_run_outside_srun():
    from mmada.utils import UserFacingError
    from mmada.utils.config import slurm_env
    task = dict(SLURM_PROCID='3', SLURM_NTASKS='8', SLURM_NODELIST='n[12-13]', SLURM_LOCALID='1')
    assert slurm_env(task) == dict(MASTER_ADDR='n12', MASTER_PORT='29500', WORLD_SIZE='8',
                                   RANK='3', LOCAL_RANK='1')
    got = slurm_env(dict(task, MASTER_ADDR='h', MASTER_PORT='1234'), port=None)
    assert (got['MASTER_ADDR'], got['MASTER_PORT']) == ('h', '1234')
    assert slurm_env(dict(task, MASTER_PORT='1234'), port=4321)['MASTER_PORT'] == '4321'
    with pytest.raises(UserFacingError, match='SLURM_PROCID, SLURM_NODELIST not set'):
        slurm_env(dict(SLURM_NTASKS='2'))


@pytest.mark.e2e
def test_slurm_launcher_on_a_node_without_gpu_trains_two_tasks_with_gloo(tmp_path, bench_root):
    """Two tasks as srun starts them (SLURM variables set by hand), no GPU."""
    from tests.helpers.launch import check_tier, tool_env
    check_tier('launches tools/train.py twice')
    cfg = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=2)
    work, port = str(tmp_path / 'work'), str(free_port())
    procs = []
    for rank in range(2):
        env = tool_env(dict(SLURM_PROCID=str(rank), SLURM_NTASKS='2', SLURM_LOCALID=str(rank),
                            SLURM_NODELIST='localhost', MASTER_PORT=port))
        procs.append(subprocess.Popen(
            [sys.executable, 'tools/train.py', cfg, '--work-dir', work, '--launcher', 'slurm'],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][-3000:] + outs[1][-3000:]
    assert 'Distributed launcher: slurm' in outs[0] and 'GPU number: 2' in outs[0]
    assert "backend='gloo'" in outs[0]
    assert osp.exists(osp.join(work, 'iter_2.pth'))


def _weights(path):
    state = torch.load(path, map_location='cpu', weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if v.is_floating_point()}


@pytest.mark.e2e
def test_sigterm_checkpoints_at_iteration_boundary_and_resume_equals_uninterrupted(
        tmp_path, bench_root):
    opts = dict(active_rounds=[2, 4], custom_imports=dict(imports=['tests.helpers.fault_hooks']))
    cfg = tiny_config(RIPU_RA, str(tmp_path / 'a'), bench_root, max_iters=6,
                      checkpoint_interval=6, **opts)
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg, '--work-dir', full])

    # SIGTERM arrives while iteration 4 runs (its round comes after the step).
    sig_cfg = tiny_config(RIPU_RA, str(tmp_path / 'b'), bench_root, max_iters=6,
                          checkpoint_interval=6, **opts,
                          **{'custom_hooks': [dict(type='ActiveLearningHook'),
                                              dict(type='SignalAtIterHook', at=4)]})
    work = str(tmp_path / 'stopped')
    proc = run_tool(['tools/train.py', sig_cfg, '--work-dir', work, '--resume'], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 143, out[-3000:]
    assert f'stopped: SIGTERM received: stopped after iteration 4/6 with checkpoint ' \
           f'{osp.join(work, "iter_4.pth")}' in out
    assert 'Traceback' not in out and 'Iter(train) [5/6]' not in out
    assert '[active] round 2:' in out  # the round of iteration 4 ran before the stop
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(work, '*.pth'))) == ['iter_4.pth']
    assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'iter_4.pth')

    proc = run_tool(['tools/train.py', sig_cfg, '--work-dir', work, '--resume'],
                    env=dict(MMADA_NO_KILL='1'))
    out = proc.stdout + proc.stderr
    assert f'--resume: continuing from {osp.join(work, "iter_4.pth")}' in out
    assert 'resumed epoch: 0, iter: 4' in out
    assert_same_store(store_snapshot(osp.join(work, 'active_labels')),
                      store_snapshot(osp.join(full, 'active_labels')))
    a, b = _weights(osp.join(full, 'iter_6.pth')), _weights(osp.join(work, 'iter_6.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.e2e
def test_sigterm_to_one_rank_and_its_workers_stops_both_ranks_at_one_iteration(
        tmp_path, bench_root):
    """Rank 1 and its dataloader workers get SIGTERM (SLURM signals every process)."""
    cfg = tiny_config(SUPERVISED, str(tmp_path), bench_root, max_iters=4, checkpoint_interval=4,
                      custom_imports=dict(imports=['tests.helpers.fault_hooks']),
                      custom_hooks=[dict(type='SignalAtIterHook', at=2, rank=1, workers=True)],
                      **{'train_dataloader.num_workers': 2,
                         'train_dataloader.persistent_workers': True})
    work = str(tmp_path / 'work')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', 'tools/train.py', cfg, '--work-dir', work,
         '--launcher', 'pytorch', '--resume'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert out.count('stopped: SIGTERM received: stopped after iteration 2/4') == 2, out[-5000:]
    assert 'Iter(train) [3/4]' not in out and 'killed by signal' not in out
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(work, '*.pth'))) == ['iter_2.pth']
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2


@pytest.mark.e2e
def test_killed_run_with_persistent_workers_resumes_to_the_uninterrupted_weights(
        tmp_path, bench_root):
    """num_workers=2, persistent: SIGKILL after iteration 4 (round 2 and checkpoint done)."""
    workers = {'train_dataloader.num_workers': 2, 'train_dataloader.persistent_workers': True}
    opts = dict(active_rounds=[2, 4], custom_imports=dict(imports=['tests.helpers.kill_hook']),
                **workers)
    cfg = tiny_config(RIPU_RA, str(tmp_path / 'a'), bench_root, max_iters=6, **opts)
    full = str(tmp_path / 'full')
    run_tool(['tools/train.py', cfg, '--work-dir', full])
    kill_cfg = tiny_config(RIPU_RA, str(tmp_path / 'b'), bench_root, max_iters=6, **opts,
                           custom_hooks=[dict(type='ActiveLearningHook'),
                                         dict(type='KillAfterIterHook', at=4)])
    work = str(tmp_path / 'killed')
    proc = run_tool(['tools/train.py', kill_cfg, '--work-dir', work], check=False)
    assert proc.returncode == -9, (proc.stdout + proc.stderr)[-3000:]
    assert 'Iter(train) [5/6]' not in proc.stdout + proc.stderr
    proc = run_tool(['tools/train.py', kill_cfg, '--work-dir', work, '--resume'],
                    env=dict(MMADA_NO_KILL='1'))
    assert 'resumed epoch: 0, iter: 4' in proc.stdout + proc.stderr
    assert_same_store(store_snapshot(osp.join(work, 'active_labels')),
                      store_snapshot(osp.join(full, 'active_labels')))
    a, b = _weights(osp.join(full, 'iter_6.pth')), _weights(osp.join(work, 'iter_6.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
