"""User docs speak in the project's voice.

The user docs are ``README.md``, ``docs/*.md`` and ``configs/*/README.md``.
They name no machine load (``docs/benchmarks.md`` may, inside a section a
script wrote next to its figures, also that the machine was shared), no commit
hash outside a section a script wrote (``<!-- NAME:start -->`` ...
``<!-- NAME:end -->``), no internal issue
number, and no words about who ran what (people, sessions, a shared machine,
rebases, unverified claims). Each rule is also run on a hand-written text that
breaks it, so a rule that matches nothing cannot pass unnoticed.
"""
import glob
import os.path as osp
import re

import pytest

from tests.conftest import ROOT

SECTION = re.compile(r'<!-- ([\w-]+):start -->.*?<!-- \1:end -->', re.S)

LOAD = re.compile(r'\bload average\b|\b(?:under|at) load\b|\bload \d', re.I)
FULL_HASH = re.compile(r'\b[0-9a-f]{40}\b')
# a short hash in prose: "commit 4c00349", "at 4c00349", "main after c5abad2"
SHORT_HASH = re.compile(r'\b(?:commit|at|of|after|before|since)\s+`?(?=[0-9a-f]*\d)'
                        r'[0-9a-f]{7,12}\b`?')
ISSUE = re.compile(r'\bissues?\s*#?\d+|(?<![\w/])#\d+\b|\bitem \d+ of\b', re.I)
WHO = re.compile(
    r'\b(?:engineers?|colleagues?|sessions?|other people|other users|someone|somebody|'
    r'we ran|I ran|rebased?|unverified|not verified|shared (?:2-core |CPU )?machine|'
    r'machine shared|our (?:2-core |CPU )*machine)\b', re.I)


def user_docs():
    """Paths (relative to the root) of every user doc."""
    paths = ['README.md'] + sorted(glob.glob(osp.join(ROOT, 'docs', '*.md'))) + sorted(
        glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
    return [osp.relpath(osp.join(ROOT, p), ROOT) for p in paths]


def prose(text: str) -> str:
    """``text`` with every script-written section blanked (line numbers kept)."""
    return SECTION.sub(lambda m: '\n' * m.group(0).count('\n'), text)


def findings(path: str, text: str) -> list:
    """``['path:line: rule: match']`` for every breach of the voice rules."""
    free = prose(text)
    # docs/benchmarks.md: a script may say next to its figures how busy the machine was
    timed = free if path == osp.join('docs', 'benchmarks.md') else text
    checks = [('internal issue number', ISSUE, text), ('who ran what', WHO, timed),
              ('commit hash outside a generated section', FULL_HASH, free),
              ('commit hash outside a generated section', SHORT_HASH, free),
              ('machine load', LOAD, timed)]
    out = []
    for rule, pattern, body in checks:
        for m in pattern.finditer(body):
            line = body.count('\n', 0, m.start()) + 1
            out.append(f'{path}:{line}: {rule}: {m.group(0)!r}')
    return out


@pytest.mark.parametrize('path', user_docs())
def test_user_doc_speaks_in_the_project_voice(path):
    with open(osp.join(ROOT, path)) as f:
        text = f.read()
    assert findings(path, text) == []


@pytest.mark.parametrize('text,rule', [
    ('Trained under load 9-17 on 2 cores.', 'machine load'),
    ('load average 15.31 at the start', 'machine load'),
    ('the runs of commit 4c00349 trained it', 'commit hash'),
    ('built from 4ba4d7c0a1b2c3d4e5f60718293a4b5c6d7e8f90 in May', 'commit hash'),
    ('Goals of issue 15: 22 hold', 'internal issue number'),
    ('as #12 asked', 'internal issue number'),
    ('while four engineers ran test suites', 'who ran what'),
    ('the branch was rebased onto main', 'who ran what'),
    ('the venue remains **unverified**', 'who ran what'),
    ('on the 2-core machine shared with others', 'who ran what'),
])
def test_each_rule_catches_a_text_that_breaks_it(text, rule):
    found = findings('README.md', text)
    assert len(found) == 1 and f': {rule}' in found[0], found


def test_generated_sections_may_name_their_commit_and_benchmarks_its_load():
    section = ('<!-- bench:start -->\ncommit 4c00349, load average 3.1 at the start\n'
               '<!-- bench:end -->\n')
    assert findings(osp.join('docs', 'benchmarks.md'), 'Intro.\n' + section) == []
    # elsewhere a generated section may name its commit, never the load
    assert [f.split(': ')[1] for f in findings('README.md', section)] == ['machine load']
    # prose after a section keeps its line number
    assert "README.md:4: internal issue number: '#3'" in findings('README.md', section + 'see #3\n')


def test_anchors_urls_and_plain_hex_words_are_not_findings():
    text = ('See [the guide](docs/get_started.md#extending-mmada) and '
            'https://github.com/o/r/issues/12; colour #ff0000 is a deadbeef1 token; '
            'the 2-core machine prints its CPU model.')
    assert findings('README.md', text) == []
