"""The user docs agree with the files they were copied from.

Every ``make benchmark`` number a README quotes (written ``52.82 ± 0.23,
*RIPU RA 2.2 %*``: the mIoU cell and the row it comes from) equals that row
of the table the benchmark script wrote into ``docs/results_synthetic.md``;
the README's results section quotes that table's stamp and goal count;
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


SECTION = re.compile(r'<!-- ([\w-]+):start -->\n?(.*?)<!-- \1:end -->', re.S)
# a number copied from make benchmark's table: "52.82 ± 0.23, *RIPU RA 2.2 %*"
COPIED = re.compile(r'(\d+\.\d+(?: ± \d+\.\d+)?), \*([^*]+)\*')


def sections(text: str) -> dict:
    """``{name: body}`` of the script-written sections of a markdown text."""
    return {m.group(1): m.group(2) for m in SECTION.finditer(text)}


def benchmark_cells(preset: str = 'hard') -> dict:
    """``{row: mIoU cell}`` of ``make benchmark``'s table in docs/results_synthetic.md."""
    body = sections(_read('docs', 'results_synthetic.md'))[f'results-synthetic-{preset}']
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('| method |'))
    cols = [c.strip() for c in lines[start].strip('|').split('|')]
    cells = {}
    for line in lines[start + 2:]:
        if not line.startswith('|'):
            break
        row = [c.strip() for c in line.strip('|').split('|')]
        cells[row[0]] = row[cols.index('mIoU')]
    return cells


def test_benchmark_numbers_in_readmes_equal_the_results_file():
    cells = benchmark_cells()
    docs = ['README.md'] + [osp.relpath(p, ROOT) for p in
                            sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))]
    copied = [(doc, value, row) for doc in docs for value, row in COPIED.findall(_read(doc))]
    assert len([c for c in copied if c[0] == 'README.md']) >= 7  # the supported-methods table
    wrong = [f'{doc}: {value}, *{row}* (docs/results_synthetic.md: {cells.get(row, "no such row")})'
             for doc, value, row in copied if cells.get(row) != value]
    assert not wrong, '\n'.join(wrong)


def test_readme_results_section_quotes_the_benchmarks_stamp_and_goal_count():
    readme = sections(_read('README.md'))['results-synthetic-readme']
    hard = sections(_read('docs', 'results_synthetic.md'))['results-synthetic-hard']
    stamp = re.search(r'from its latest complete run, (.*?): Goals:', readme).group(1)
    assert stamp in hard
    held, failed = (int(n) for n in re.search(r'Goals: (\d+) hold, (\d+) do not', readme).groups())
    assert (held, failed) == (hard.count(': holds'), hard.count(': **does not hold**'))
