"""The user docs agree with the files they were copied from.

``CITATION.cff`` lists every paper a method README cites; ``LICENSE`` is the
Apache-2.0 text that ``pyproject.toml`` declares.
"""
import glob
import os.path as osp
import re

import yaml

from tests.conftest import ROOT

ARXIV = re.compile(r'https://arxiv\.org/abs/(\d{4}\.\d{4,5})')


def _read(*parts: str) -> str:
    with open(osp.join(ROOT, *parts)) as f:
        return f.read()


def cited_papers() -> dict:
    """``{arXiv id: README}`` of the papers cited above each method README's first section."""
    out = {}
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'README.md'))):
        with open(path) as f:
            text = f.read()
        head = text[:text.index('\n## ')] if '\n## ' in text else text
        for arxiv in ARXIV.findall(head):
            out.setdefault(arxiv, osp.relpath(path, ROOT))
    return out


def test_citation_file_lists_every_paper_a_method_readme_cites():
    cff = yaml.safe_load(_read('CITATION.cff'))
    assert cff['cff-version'] == '1.2.0' and cff['license'] == 'Apache-2.0'
    listed = {ARXIV.match(r['url']).group(1) for r in cff['references']}
    cited = cited_papers()
    assert len(cited) >= 9  # RIPU, CBDA, MADA, MADAv2, ADA-MCU, point sup., 3 UDA papers
    missing = {a: readme for a, readme in cited.items() if a not in listed}
    assert not missing, f'add these papers to CITATION.cff references: {missing}'
    for ref in cff['references']:
        assert ref['title'] and ref['authors'] and ref['year'], ref


def test_license_is_the_apache_text_pyproject_declares():
    assert 'license = "Apache-2.0"' in _read('pyproject.toml')
    text = _read('LICENSE')
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
    assert 'END OF TERMS AND CONDITIONS' in text
