"""The resolved settings of every shipped config, pinned in a golden file.

A shipped config is every ``configs/**/*.py`` outside ``configs/_base_/``.
Its *settings* are the top-level keys a run reads (:data:`SETTINGS`: what
MMEngine's ``Runner.from_cfg`` and mmada's tools and hooks take from a
config), resolved through the whole ``_base_`` chain; the helper variables
the configs define to build them (``source_train``, ``norm_cfg``, ...) are
left out, so that moving a setting between ``_base_`` files changes nothing
here. A setting is flattened to leaves named by their path
(``model.decode_head.num_classes``, ``custom_hooks[0].type``); a list of
plain values is one leaf.

An intended change of a config's resolved settings regenerates the file::

    python -m tests.helpers.resolved_configs --update

and its commit message lists the changed keys (the failing test prints them).
"""
import argparse
import functools
import glob
import json
import os.path as osp
import sys
from typing import Any, Dict, List

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GOLDEN = osp.join(ROOT, 'tests', 'golden', 'resolved_configs.json')
UPDATE_COMMAND = 'python -m tests.helpers.resolved_configs --update'

#: Top-level keys a run reads: MMEngine 0.10.7 ``Runner.from_cfg`` and the
#: runner's own (``runner_type``, ``model_wrapper_cfg``, ``custom_imports``),
#: then mmada's: the active-learning hook (``active_learning``,
#: ``active_rounds``), tools/test.py (``tta_*``, ``test_flip_by_default``),
#: the stage checks (``load_from_made_by``) and tools/pipeline.py (``stages``).
SETTINGS = frozenset({
    'auto_scale_lr', 'custom_hooks', 'data_preprocessor', 'default_hooks', 'default_scope',
    'env_cfg', 'experiment_name', 'launcher', 'load_from', 'log_level', 'log_processor',
    'model', 'optim_wrapper', 'param_scheduler', 'randomness', 'resume', 'test_cfg',
    'test_dataloader', 'test_evaluator', 'train_cfg', 'train_dataloader', 'val_cfg',
    'val_dataloader', 'val_evaluator', 'visualizer', 'work_dir',
    'runner_type', 'model_wrapper_cfg', 'custom_imports',
    'active_learning', 'active_rounds', 'tta_model', 'tta_pipeline', 'test_flip_by_default',
    'load_from_made_by', 'stages',
})


def shipped_configs() -> List[str]:
    """Paths (relative to the repository, ``/``-separated) of the shipped configs."""
    paths = glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    rels = (osp.relpath(p, ROOT).replace(osp.sep, '/') for p in paths)
    return sorted(r for r in rels if not r.startswith('configs/_base_/'))


def flatten(obj: Any, prefix: str, out: Dict[str, Any]) -> Dict[str, Any]:
    """Leaves of a config value, keyed by their dotted / indexed path.

    Args:
        obj: a value of a config (dicts, lists, tuples and plain values).
        prefix: the path of ``obj``.
        out: where the leaves go.

    Returns:
        ``out``. A dict contributes one leaf per key (an empty one is the leaf
        ``{}``), a list or tuple holding a dict or list one leaf per item, any
        other list or tuple one leaf (a list); a value JSON cannot hold is
        kept as its ``repr``.
    """
    if isinstance(obj, dict):
        if not obj:
            out[prefix] = {}
        for key, value in obj.items():
            flatten(value, f'{prefix}.{key}' if prefix else str(key), out)
    elif isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in obj):
        for i, value in enumerate(obj):
            flatten(value, f'{prefix}[{i}]', out)
    elif isinstance(obj, (list, tuple)):
        out[prefix] = [v if _plain(v) else repr(v) for v in obj]
    else:
        out[prefix] = obj if _plain(obj) else repr(obj)
    return out


def _plain(value: Any) -> bool:
    """Whether JSON keeps ``value`` as it is."""
    return value is None or isinstance(value, (bool, int, float, str))


@functools.lru_cache(maxsize=None)
def resolved(config: str) -> Dict[str, Any]:
    """The flattened resolved settings of one config (loaded once per process).

    Args:
        config: a path relative to the repository, as :func:`shipped_configs` gives.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, config)).to_dict()
    return flatten({k: v for k, v in cfg.items() if k in SETTINGS}, '', {})


def load_golden(path: str = GOLDEN) -> Dict[str, Dict[str, Any]]:
    """Config path -> flattened settings, as last written by :func:`write_golden`."""
    if not osp.exists(path):
        raise FileNotFoundError(f'no golden file of resolved configs at {path}; '
                                f'write it with `{UPDATE_COMMAND}`')
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def diff(before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
    """One line per leaf that differs between two flattened settings.

    Returns:
        ``key: old -> new`` for a changed leaf, ``key: added (new)`` and
        ``key: removed (was old)``, sorted by key; empty where equal.
    """
    lines = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            lines.append(f'{key}: removed (was {before[key]!r})')
        elif key not in before:
            lines.append(f'{key}: added ({after[key]!r})')
        elif before[key] != after[key] or type(before[key]) is not type(after[key]):
            lines.append(f'{key}: {before[key]!r} -> {after[key]!r}')
    return lines


def write_golden(path: str = GOLDEN) -> Dict[str, List[str]]:
    """Write every shipped config's resolved settings; return what changed.

    Returns:
        Config path -> :func:`diff` lines against the previous file (a config
        new to the file or gone from it: one line saying so).
    """
    old = load_golden(path) if osp.exists(path) else {}
    new = {config: resolved(config) for config in shipped_configs()}
    changes = {}
    for config in sorted(set(old) | set(new)):
        if config not in new:
            changes[config] = ['removed from the golden file (no longer shipped)']
        elif config not in old:
            changes[config] = ['added to the golden file']
        elif diff(old[config], new[config]):
            changes[config] = diff(old[config], new[config])
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(new, f, indent=1, sort_keys=True)
        f.write('\n')
    return changes


def main(argv: List[str] = None) -> int:
    """``--update``: rewrite the golden file and print the changed keys per config."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--update', action='store_true',
                        help=f'rewrite {osp.relpath(GOLDEN, ROOT)} from the configs as they are')
    args = parser.parse_args(argv)
    if not args.update:
        parser.print_help()
        return 2
    changes = write_golden()
    for config, lines in changes.items():
        print(config)
        print(''.join(f'  {line}\n' for line in lines), end='')
    print(f'{len(changes)} config(s) changed; {osp.relpath(GOLDEN, ROOT)} written')
    return 0


if __name__ == '__main__':
    sys.exit(main())
