"""Paper configs shrunk to tiny fixtures: narrow models, small loaders, short runs.

Shared by the tests that train a shipped real-data config (GTA5 / SYNTHIA ->
Cityscapes) on the tiny official-layout trees of :mod:`tests.helpers.datasets`.
"""
import json
import os.path as osp
import re

from mmengine.config import Config

from tests.helpers.launch import dist_train, run_tool


def plain(cfg):
    """The config as plain dicts/lists (tuples become lists)."""
    return json.loads(json.dumps(cfg.to_dict(), default=list))


# A narrow ResNet-18 instead of ResNet-101 (no ImageNet weights offline).
TINY_V2 = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    decode_head=dict(in_channels=128, dilations=(1, 2)))
TINY_V3PLUS = dict(
    backbone=dict(depth=18, base_channels=16, stem_channels=16,
                  init_cfg=None),
    decode_head=dict(in_channels=128, channels=16, c1_in_channels=16,
                     c1_channels=8, dilations=(1, 2)))


def small_loaders(cfg, source_root, target_root, size):
    """Point a paper config at the fixtures and shrink its image sizes."""
    w, h = size
    loaders = [cfg.train_dataloader, cfg.val_dataloader]
    for loader in loaders:
        loader.update(num_workers=0, persistent_workers=False)
    two = cfg.train_dataloader.dataset
    two.source.data_root, two.target.data_root = source_root, target_root
    cfg.val_dataloader.dataset.data_root = target_root
    for ds in (two.source, two.target, cfg.val_dataloader.dataset):
        for t in ds.pipeline:
            if t['type'] in ('Resize', 'RandomResize'):
                t['scale'] = (w, w) if t['type'] == 'RandomResize' else (w, h)
            elif t['type'] == 'RandomCrop':
                t['crop_size'] = (h, w)
            elif t['type'] == 'Pad':
                t['size'] = (w, h)
    cfg.test_dataloader = cfg.val_dataloader


def train_runner(cfg, work_dir, iters=2):
    """Train ``cfg`` in this process for ``iters`` iterations (no checkpoints); return the runner."""
    from mmada.utils import build_runner
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=iters,
                                by_epoch=False)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 10**6
    cfg.default_hooks.checkpoint.save_last = False
    runner = build_runner(cfg)
    runner.train()
    return runner


SRC_SIZE, TGT_SIZE = (128, 72), (128, 64)  # (w, h)
# Narrow ResNet-18 (no ImageNet weights offline), BatchNorm trainable.
BN = dict(type='BN', requires_grad=True)
TINY_MODEL = dict(
    backbone=dict(TINY_V3PLUS['backbone'], norm_cfg=BN, norm_eval=False),
    decode_head=dict(TINY_V3PLUS['decode_head'], norm_cfg=BN))
TINY_V2_MODEL = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None, norm_cfg=BN, norm_eval=False),
    decode_head=dict(in_channels=128, dilations=(1, 2)))
SHORT = dict(
    # until mmada/datasets/__init__.py imports it
    custom_imports=dict(imports=['mmada.datasets.cityscapes'], allow_failed_imports=False),
    train_cfg=dict(max_iters=4, val_interval=4),
    active_rounds=[2],
    default_hooks=dict(logger=dict(interval=1), checkpoint=dict(interval=4)),
    randomness=dict(seed=0))




def loader_cfg(**dataset):
    """A dataloader config over ``dataset`` without worker processes."""
    return dict(num_workers=0, persistent_workers=False, dataset=dataset)


def override_config(path, user_config, **overrides):
    """Write a config that ``_base_``s ``user_config`` with ``overrides``."""
    with open(path, 'w') as f:
        f.write(f'_base_ = [{user_config!r}]\n')
        f.writelines(f'{k} = {v!r}\n' for k, v in overrides.items())
    return str(path)


def resize_options(user_config):
    """``--cfg-options`` shrinking every Resize of the data pipelines.

    Pipelines are lists, which an override config can only replace whole;
    ``--cfg-options`` reaches single items (``...pipeline.2.scale=...``).
    """
    options = []

    def visit(node, dotted):
        if isinstance(node, dict):
            for key, value in node.items():
                visit(value, f'{dotted}.{key}')
        elif isinstance(node, list) and dotted.endswith('pipeline'):
            w, h = SRC_SIZE if '.source.' in dotted else TGT_SIZE
            options.extend(f'{dotted}.{i}.scale=({w},{h})'
                           for i, t in enumerate(node) if t.get('type') == 'Resize')

    cfg = plain(Config.fromfile(user_config))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        visit(cfg[key], key)
    return options


def train(config, options, work_dir, nproc=1):
    """Run tools/train.py (1 process) or tools/dist_train.sh (gloo on CPU) for 4 iterations.

    Args:
        config: The config file.
        options: ``--cfg-options`` items (e.g. :func:`resize_options`).
        work_dir: The work dir.
        nproc: How many processes.

    Returns:
        str: stdout and stderr of the run, after it was checked to have
        trained 4 iterations, run a round and evaluated.
    """
    args = ['--work-dir', work_dir, '--cfg-options', *options]
    if nproc == 1:
        proc = run_tool(['tools/train.py', config, *args], timeout=300, check=False)
    else:
        proc = dist_train(config, work_dir, nproc, extra=args[2:], timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert 'Iter(train) [4/4]' in out and '[active] round 1:' in out and 'mIoU' in out
    return out


def target_ce(out, it):
    """The target cross-entropy logged at iteration ``it``."""
    (line, ) = [x for x in out.splitlines() if f'Iter(train) [{it}/4]' in x]
    return float(re.search(r'target\.decode\.loss_ce: ([0-9.]+)', line).group(1))


def round_one(work_dir):
    """The label store's manifest, after exactly one committed round."""
    with open(osp.join(work_dir, 'active_labels', 'manifest.json')) as f:
        manifest = json.load(f)
    assert manifest['current_round'] == 1 and len(manifest['rounds']) == 1
    assert manifest['totals']['labelled'] > 0
    return manifest
