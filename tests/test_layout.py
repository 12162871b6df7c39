"""Layout of the repository: no test is collected twice, and the modules of
``mmada/`` stay small (issue 9: no file of ``mmada/`` over about 400 lines)."""
import inspect
import json
import os
import os.path as osp
import re
import subprocess
import sys
from collections import Counter
from typing import List

from tests.conftest import ROOT


def item_identity(item) -> list:
    """(node id, function identity) of one collected pytest item."""
    fn = getattr(item, 'function', None)
    spec = getattr(item, 'callspec', None)
    key = None if fn is None else [fn.__module__, fn.__qualname__, spec.id if spec else '']
    return [item.nodeid, key]


# Collects with pytest in a fresh process (over a tree a test makes) and
# writes, per collected item, its node id and the identity of its function (module, qualified name, parameter
# id): a test function imported into a second module, or inherited by a second
# class, keeps its identity under a second node id.
COLLECT = '''
import json, sys
import pytest

''' + inspect.getsource(item_identity) + '''


class Record:
    items = []

    def pytest_collection_finish(self, session):
        self.items.extend(item_identity(item) for item in session.items)


code = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider',
                    *sys.argv[2:]], plugins=[Record()])
with open(sys.argv[1], 'w') as f:
    json.dump(dict(code=int(code), items=Record.items), f)
'''

#: Longest module of ``mmada/``, in lines.
MAX_LINES = 400
#: Modules still over MAX_LINES (owner, why), each with the length it may not
#: exceed; drop an entry once its module is split.
OVERSIZED = {}


def collect(out: str, cwd: str, where: str) -> List[list]:
    """(node id, function identity) of every test pytest collects."""
    proc = subprocess.run([sys.executable, '-c', COLLECT, out, where],
                          cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out) as f:
        result = json.load(f)
    assert result['code'] == 0, proc.stdout[-3000:]
    return result['items']


def twins(items: List[list]) -> List[List[str]]:
    """Groups of node ids that collect the same test."""
    ids = Counter(nodeid for nodeid, _ in items)
    groups = [[nodeid] * n for nodeid, n in ids.items() if n > 1]
    by_function = {}
    for nodeid, key in items:
        if key is not None:
            by_function.setdefault(tuple(key), []).append(nodeid)
    return groups + [ids for ids in by_function.values() if len(ids) > 1]


def test_twins_finds_an_imported_test_and_spares_parameters(tmp_path):
    tree = tmp_path / 'tree'
    tree.mkdir()
    (tree / 'test_a.py').write_text(
        'import pytest\n\n\ndef test_x():\n    pass\n\n\n'
        "@pytest.mark.parametrize('v', [1, 2])\ndef test_p(v):\n    pass\n")
    (tree / 'test_b.py').write_text('from test_a import test_x  # noqa\n')
    items = collect(str(tmp_path / 'a.json'), str(tree), '.')
    assert sorted(nodeid for nodeid, _ in items) == [
        'test_a.py::test_p[1]', 'test_a.py::test_p[2]', 'test_a.py::test_x',
        'test_b.py::test_x'
    ]
    assert twins(items) == [['test_a.py::test_x', 'test_b.py::test_x']]


def test_no_test_is_collected_twice(request):
    # What this session collected (the whole suite under `make test`).
    items = [item_identity(item) for item in request.session.items]
    assert 'tests/test_layout.py::test_no_test_is_collected_twice' in {
        nodeid for nodeid, _ in items
    }
    assert twins(items) == [], (
        'these node ids collect the same test (a test imported into or '
        'inherited by a second module or class); import helpers, not tests')


def importers_of_test_modules(root: str) -> List[str]:
    """``path:line`` of every import of a test module (``tests.test_*`` or a bare ``test_*``)."""
    pattern = re.compile(r'^\s*(from|import)\s+(tests\.)?(\w+\.)*test_\w*')
    found = []
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith('.py'):
                path = osp.join(folder, name)
                with open(path, encoding='utf-8') as f:
                    for i, line in enumerate(f, 1):
                        if pattern.match(line):
                            found.append(f'{osp.relpath(path, root)}:{i}')
    return found


def test_importers_of_test_modules_are_found(tmp_path):
    (tmp_path / 'test_a.py').write_text('from tests.test_b import helper\nimport os\n')
    (tmp_path / 'test_c.py').write_text('x = 1\n    from test_converters import make\n')
    (tmp_path / 'ok.py').write_text('from tests.helpers.datasets import make\n')
    assert importers_of_test_modules(str(tmp_path)) == ['test_a.py:1', 'test_c.py:2']


def test_no_test_module_imports_another():
    assert importers_of_test_modules(osp.join(ROOT, 'tests')) == [], (
        'a test module imports another test module: move what they share to tests/helpers/')


def test_modules_of_mmada_stay_under_the_line_limit():
    too_long = {}
    for folder, _, names in os.walk(osp.join(ROOT, 'mmada')):
        for name in names:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                rel = osp.relpath(path, ROOT).replace(os.sep, '/')
                with open(path, encoding='utf-8') as f:
                    lines = sum(1 for _ in f)
                if lines > OVERSIZED.get(rel, MAX_LINES):
                    too_long[rel] = lines
    assert not too_long, (
        f'modules of mmada/ over {MAX_LINES} lines (or over their entry in '
        f'tests/test_layout.py OVERSIZED): {too_long}. Split them along '
        'their seams into a package that re-exports the old names, as '
        'mmada/active/label_store/ does')
