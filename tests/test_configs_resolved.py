"""Every shipped config resolves to the settings pinned in tests/golden/resolved_configs.json.

Moving settings between ``_base_`` files must leave each config's resolved
settings as they were. A change that means to alter them regenerates the file
with ``python -m tests.helpers.resolved_configs --update`` and lists the
changed keys (printed by the failing test and by the command) in its commit
message.
"""
import pytest
from mmengine.config import Config

from tests.helpers.resolved_configs import (SETTINGS, UPDATE_COMMAND, diff, flatten,
                                            load_golden, resolved, shipped_configs)

GOLDEN = load_golden()
SHIPPED = shipped_configs()


@pytest.mark.parametrize('config', sorted(set(GOLDEN) | set(SHIPPED)))
def test_resolved_settings_unchanged(config):
    assert config in SHIPPED, (
        f'{config} is in tests/golden/resolved_configs.json but no longer shipped; '
        f'if it was removed on purpose, run `{UPDATE_COMMAND}`')
    assert config in GOLDEN, (
        f'{config} is not in tests/golden/resolved_configs.json; a new config is '
        f'pinned by `{UPDATE_COMMAND}`')
    changes = diff(GOLDEN[config], resolved(config))
    assert not changes, (
        f'{config}: {len(changes)} resolved setting(s) changed:\n  ' + '\n  '.join(changes)
        + f'\nIf intended, run `{UPDATE_COMMAND}` and list these keys in the commit message.')


def test_flatten_names_leaves_by_path():
    value = dict(model=dict(head=dict(num_classes=19, loss=[dict(type='CE', w=1.0)]),
                            crop=(512, 1024), extra={}), hooks=[])
    assert flatten(value, '', {}) == {
        'model.head.num_classes': 19, 'model.head.loss[0].type': 'CE',
        'model.head.loss[0].w': 1.0, 'model.crop': [512, 1024], 'model.extra': {},
        'hooks': []}


def test_diff_names_changed_added_and_removed_keys():
    before = {'a': 1, 'b': [1, 2], 'c': 'x', 'd': 1}
    after = {'a': 1, 'b': [1, 3], 'e': None, 'd': 1.0}
    assert diff(before, after) == [
        'b: [1, 2] -> [1, 3]', 'c: removed (was \'x\')', 'd: 1 -> 1.0', 'e: added (None)']
    assert diff(before, dict(before)) == []


def test_a_change_in_a_base_file_shows_in_the_leaf(tmp_path):
    # A leaf that overrides one key of its base: a helper variable of the base
    # is no setting, a changed base value reaches the leaf's settings.
    (tmp_path / 'base.py').write_text(
        "norm_cfg = dict(type='BN')\nmodel = dict(type='M', norm_cfg=norm_cfg, depth=101)\n")
    (tmp_path / 'leaf.py').write_text("_base_ = ['./base.py']\nmodel = dict(depth=50)\n")

    def settings():
        cfg = Config.fromfile(str(tmp_path / 'leaf.py')).to_dict()
        return flatten({k: v for k, v in cfg.items() if k in SETTINGS}, '', {})

    before = settings()
    assert before == {'model.type': 'M', 'model.norm_cfg.type': 'BN', 'model.depth': 50}
    (tmp_path / 'base.py').write_text(
        "norm_cfg = dict(type='SyncBN')\nmodel = dict(type='M', norm_cfg=norm_cfg, depth=101)\n")
    assert diff(before, settings()) == ["model.norm_cfg.type: 'BN' -> 'SyncBN'"]
