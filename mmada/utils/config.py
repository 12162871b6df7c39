"""Config loading and adjustments shared by the command-line tools."""
import argparse
import os
import sys
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction

from mmada.utils.config_text import FormattedOnceConfig
from mmada.utils.errors import UserFacingError


def add_launch_args(parser: argparse.ArgumentParser) -> None:
    """Add mmseg's ``--cfg-options``, ``--launcher`` and ``--local-rank`` flags.

    Args:
        parser: The tool's argument parser.
    """
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_cfg(args: argparse.Namespace) -> Config:
    """Load ``args.config`` the way mmseg's tools do.

    Merges ``--cfg-options``, records the launcher, exports ``LOCAL_RANK``
    for the PyTorch launcher and sets ``work_dir``: ``--work-dir``, else the
    config's, else ``./work_dirs/<config name>``. The config's folder is put
    on ``sys.path`` (after the repository), so ``custom_imports`` may name
    modules that sit next to the config (a method's own scorer, say).

    Args:
        args: Parsed arguments with ``config``, ``work_dir`` and the flags of
            :func:`add_launch_args`.

    Returns:
        Config: The loaded config, a :class:`FormattedOnceConfig` (its text is
        formatted once, not at every checkpoint).
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    folder = osp.dirname(osp.abspath(args.config))
    if folder not in sys.path:
        sys.path.append(folder)
    cfg = FormattedOnceConfig.from_config(Config.fromfile(args.config))
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def _missing_load_from(cfg: Config) -> Optional[str]:
    """What is wrong with a local ``load_from`` checkpoint that does not exist."""
    path = cfg.get('load_from')
    if not path or '://' in str(path) or cfg.get('resume') is True:
        return None  # resume=True resumes from load_from: --resume CKPT checked it
    if cfg.get('resume') == 'auto':
        from mmada.engine.checkpoint import has_checkpoints
        if has_checkpoints(cfg.get('work_dir', '')):
            return None  # continues from the work dir; load_from is not read
    if osp.exists(path):
        return None
    made_by = cfg.get('load_from_made_by')  # a stage config names the command
    how = (f'It is made by: {made_by}' if made_by else 'Train the model it comes from '
           "first (a source-free config needs its source-only run)")
    return (f'load_from checkpoint {path} does not exist (looked for '
            f'{osp.abspath(path)}). {how}; or set '
            '--cfg-options load_from=/path/to/checkpoint.pth.')


def _pretrained_paths(node, where: str = 'model') -> list:
    """``(config key, path)`` of every local ``Pretrained`` init checkpoint under ``node``."""
    found = []
    if isinstance(node, dict):
        if node.get('type') in ('Pretrained', 'ImageNetPretrained') and node.get('checkpoint'):
            found.append((f'{where}.checkpoint', str(node['checkpoint'])))
        for key, value in node.items():
            found += _pretrained_paths(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _pretrained_paths(value, f'{where}.{i}')
    return found


def _missing_pretrained(cfg: Config) -> list:
    """What is wrong with local pretrained weights (``init_cfg``) that do not exist.

    A backbone initialised from a file (DAFormer's MiT-B5, its frozen
    ImageNet copy for the feature distance) would otherwise fail after the
    model and the data were built, with a traceback.
    """
    problems = []
    for key, path in _pretrained_paths(cfg.get('model') or {}):
        if '://' in path or osp.exists(path):
            continue
        problems.append(
            f'pretrained weights {path} do not exist (config key {key}; looked for '
            f'{osp.abspath(path)}). Put them there (the config\'s README says where they come '
            f'from), or set --cfg-options {key}=/path/to/weights.pth '
            f'({key.rsplit(".", 1)[0]}=None starts from random weights).')
    return problems


def _active_dataset_cfgs(node) -> list:
    """Every ``ActiveTargetDataset`` config nested in ``node``."""
    found = []
    if isinstance(node, dict):
        if str(node.get('type', '')).endswith('ActiveTargetDataset'):
            found.append(node)
        for value in node.values():
            found += _active_dataset_cfgs(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            found += _active_dataset_cfgs(value)
    return found


def _check_stage_inputs(cfg: Config, train_data: bool = True) -> None:
    """Inputs made by an earlier stage must exist before anything is built.

    A missing ``load_from`` checkpoint, missing pretrained weights of the
    model's ``init_cfg`` and every label store that an
    ``ActiveTargetDataset(required_rounds=...)`` of the training data needs
    but lacks are named in one message (what, where, the command that makes
    it), not a traceback after the model was built.

    Args:
        cfg: The config.
        train_data: Also check the training data's label stores.
    """
    from mmada.datasets.active_dataset import missing_rounds
    problems = [_missing_load_from(cfg)] + _missing_pretrained(cfg)
    for ds in _active_dataset_cfgs(cfg.get('train_dataloader') or {} if train_data else {}):
        problems.append(missing_rounds(ds.get('label_store_dir'), ds.get('required_rounds', 0),
                                       ds.get('made_by')))
    problems = [p for p in problems if p]
    if len(problems) == 1:
        raise UserFacingError(problems[0])
    if problems:
        raise UserFacingError('this run needs inputs that do not exist:\n' + '\n'.join(
            f'  {i}. {p}' for i, p in enumerate(problems, 1)))


def _check_model_wrapper(cfg: Config) -> None:
    """A model that names its DDP wrapper (``model_wrapper``) must get it.

    MMEngine's default wrapper never calls a model's ``train_step``, so a
    model with its own (e.g. two optimisers) would not train under it.
    """
    if cfg.get('launcher', 'none') == 'none' or 'model' not in cfg:
        return
    from mmengine.registry import DefaultScope

    from mmada.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmada')):
        model_cls = MODELS.get(cfg.model.get('type', ''))
    wanted = getattr(model_cls, 'model_wrapper', None)
    chosen = (cfg.get('model_wrapper_cfg') or {}).get('type', 'MMDistributedDataParallel')
    if wanted and chosen != wanted:
        raise UserFacingError(
            f'{cfg.model.type} needs model_wrapper_cfg=dict(type={wanted!r}) for distributed '
            f'training (got {chosen}, which never calls its train_step); '
            'configs/_base_/uda/adversarial.py sets it.')


def first_host(node_list: str) -> str:
    """The first host of a SLURM node list (``node[03-05,09],gpu1`` -> ``node03``).

    What ``scontrol show hostname LIST | head -n1`` prints, without needing
    ``scontrol`` on the node.

    Args:
        node_list: ``SLURM_NODELIST``.

    Returns:
        str: The first host name.
    """
    name = node_list.strip()
    depth, end = 0, len(name)
    for i, char in enumerate(name):  # the first entry: up to a comma outside brackets
        depth += {'[': 1, ']': -1}.get(char, 0)
        if char == ',' and depth == 0:
            end = i
            break
    name = name[:end]
    while '[' in name:  # each bracket: its first number
        prefix, rest = name.split('[', 1)
        ranges, suffix = rest.split(']', 1)
        name = prefix + ranges.split(',')[0].split('-')[0] + suffix
    return name


def slurm_env(environ: dict, port: Optional[int] = None) -> dict:
    """The ``torch.distributed`` variables of a SLURM task (as MMEngine sets them).

    Args:
        environ: The task's environment (``SLURM_PROCID``, ``SLURM_NTASKS``,
            ``SLURM_NODELIST``, optionally ``SLURM_LOCALID``, ``MASTER_ADDR``,
            ``MASTER_PORT``).
        port: ``env_cfg.dist_cfg.port`` of the config, if any (wins over
            ``MASTER_PORT``; 29500 when neither is set).

    Returns:
        dict: ``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE``, ``RANK``,
        ``LOCAL_RANK``.
    """
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST') if k not in environ]
    if missing:
        raise UserFacingError(f'--launcher slurm: {", ".join(missing)} not set; start the run '
                              'with srun (tools/slurm_train.sh) or use --launcher pytorch')
    return dict(MASTER_ADDR=environ.get('MASTER_ADDR') or first_host(environ['SLURM_NODELIST']),
                MASTER_PORT=str(port or environ.get('MASTER_PORT') or 29500),
                WORLD_SIZE=environ['SLURM_NTASKS'], RANK=environ['SLURM_PROCID'],
                LOCAL_RANK=environ.get('SLURM_LOCALID', '0'))


def prepare_cfg(cfg: Config, train_data: bool = True) -> Config:
    """Make a config runnable on this machine.

    Distributed runs without CUDA (``tools/dist_train.sh`` on a CPU-only
    machine) need three things MMEngine 0.10.7 does not do by itself:

    * the ``gloo`` backend (NCCL needs GPUs);
    * the process group initialised here, because MMEngine's PyTorch and
      SLURM launchers call ``torch.cuda.set_device`` first, which a CPU build
      lacks (the Runner then sees an initialised group and skips its own
      init); for SLURM the rank, world size and master come from the SLURM
      variables (:func:`slurm_env`), as MMEngine takes them;
    * ``device_ids=None`` for DistributedDataParallel, which refuses device
      ids for CPU modules.

    It first refuses missing inputs of earlier stages (a ``load_from``
    checkpoint, the label stores the training data need), in one message.

    Args:
        cfg: The loaded config (modified in place).
        train_data: The run builds the training data (not ``tools/test.py``).

    Returns:
        Config: ``cfg``.
    """
    _check_stage_inputs(cfg, train_data)
    _check_model_wrapper(cfg)
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return cfg
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg.launcher == 'slurm' and not torch_dist.is_initialized():
        os.environ.update(slurm_env(os.environ, cfg.env_cfg.dist_cfg.get('port')))
    if cfg.launcher in ('pytorch', 'slurm') and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return cfg
