"""Each method README's settings tables say what the paper configs resolve to.

``configs/{ripu,cbda,baselines}/README.md`` have tables of settings, each
preceded by a line ``Applies to: `config.py`, ...``. A row names a config key
(dotted; an integer is a list index; ``[type]`` at the end lists the
``type`` of every item of a list) and, in the column headed ``paper configs``,
the value as a Python literal; both in backticks. This test resolves every
listed config and checks every row, so the tables cannot drift from the
configs; it also checks that each README cites its paper by a public link.
"""
import ast
import json
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests.conftest import ROOT

READMES = ['ripu', 'cbda', 'baselines', 'point_sup', 'uda', 'ada_mcu', 'mada', 'madav2', 'daformer',
           'mic']
TICK = re.compile(r'`([^`]+)`')


def tables(method):
    """``[(configs, [(key, value, line)])]`` of a README's settings tables."""
    with open(osp.join(ROOT, 'configs', method, 'README.md')) as f:
        lines = f.read().splitlines()
    found, i = [], 0
    while i < len(lines):
        if not lines[i].startswith('Applies to:'):
            i += 1
            continue
        configs = [c for c in TICK.findall(lines[i]) if c.endswith('.py')]
        i += 1
        while i < len(lines) and not lines[i].startswith('|'):
            i += 1
        header = [c.strip() for c in lines[i].strip('|').split('|')]
        key_col, value_col = header.index('key'), header.index('paper configs')
        rows = []
        i += 2  # header and separator
        while i < len(lines) and lines[i].startswith('|'):
            cells = [c.strip() for c in lines[i].strip('|').split('|')]
            key, value = TICK.findall(cells[key_col]), TICK.findall(cells[value_col])
            assert len(key) == 1 and len(value) == 1, f'{method} README: {lines[i]}'
            rows.append((key[0], ast.literal_eval(value[0]), lines[i]))
            i += 1
        assert configs and rows, f'{method} README: empty table after "Applies to"'
        found.append((configs, rows))
    return found


def resolve(cfg, key):
    """Value at a dotted ``key`` of a plain config (see the module doc)."""
    types = key.endswith('[type]')
    node = cfg
    for part in key[:-len('[type]')].split('.') if types else key.split('.'):
        node = node[int(part)] if part.isdigit() else node[part]
    return [t['type'] for t in node] if types else node


def plain(value):
    return json.loads(json.dumps(value, default=list))


CASES = [(m, c, rows) for m in READMES for configs, rows in tables(m) for c in configs]


@pytest.mark.parametrize('method,config,rows', CASES, ids=[f'{m}/{c}' for m, c, _ in CASES])
def test_readme_settings_match_resolved_config(method, config, rows):
    cfg = plain(Config.fromfile(osp.join(ROOT, 'configs', method, config)).to_dict())
    wrong = [f'{key}: README {value!r}, config {resolve(cfg, key)!r}'
             for key, value, _ in rows if resolve(cfg, key) != plain(value)]
    assert not wrong, f'{method}/{config}:\n' + '\n'.join(wrong)


@pytest.mark.parametrize('method', ['ripu', 'cbda', 'point_sup', 'uda', 'ada_mcu', 'mada', 'madav2',
                                    'daformer', 'mic'])
def test_readme_cites_paper_publicly(method):
    with open(osp.join(ROOT, 'configs', method, 'README.md')) as f:
        text = f.read()
    head = text[:text.index('## ')]
    assert 'https://arxiv.org/abs/' in head
    assert '/work/' not in text and '/home/' not in text
    assert tables(method), 'no settings table'
