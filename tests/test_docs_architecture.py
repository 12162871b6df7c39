"""docs/architecture.md's package picture names what exists, and every sub-package."""
import glob
import os.path as osp
import re

from tests.conftest import ROOT

DOC = osp.join(ROOT, 'docs', 'architecture.md')


def _picture() -> str:
    text = open(DOC).read()
    section = text.split('## Package layout', 1)[1]
    return section.split('```', 2)[1]


def test_every_name_in_the_package_picture_exists():
    names = set(re.findall(r'(?<![\w.])([a-z_0-9]+(?:/|\.py))(?=[\s,)]|$)', _picture()))
    assert len(names) > 30
    missing = [n for n in sorted(names)
               if not glob.glob(osp.join(ROOT, '**', n.rstrip('/')), recursive=True)]
    assert missing == []


def test_every_mmada_sub_package_is_in_the_picture():
    picture = _picture()
    packages = sorted(osp.basename(osp.dirname(p)) for p in
                      glob.glob(osp.join(ROOT, 'mmada', '*', '*', '__init__.py')) +
                      glob.glob(osp.join(ROOT, 'mmada', '*', '__init__.py')))
    assert packages and [p for p in packages if f'{p}/' not in picture] == []
