"""Shared by the benchmark scripts: write a marked section of a markdown file.

Each script renders its results as a section framed by
``<!-- NAME:start -->`` / ``<!-- NAME:end -->`` and, given ``--out``, puts it
into (or replaces it in) ``docs/benchmarks.md``, so re-running one benchmark
updates its own table and leaves the others alone.
"""
import os.path as osp
import platform

import torch

HEADER = ('# Benchmarks\n\nEvery table is written by a script in `tools/benchmarks/` '
          '(`--out docs/benchmarks.md`); re-running a script replaces its own section.\n')


def machine() -> str:
    """One line naming the torch build and the CPU, for a table caption."""
    return (f'torch {torch.__version__}, {torch.get_num_threads()} thread(s), '
            f'{platform.processor() or platform.machine()}')


def write_section(path: str, section: str, mark: str) -> None:
    """Insert or replace the marked section of a markdown file.

    Args:
        path: The markdown file (created with a header when missing).
        section: The section's text, starting with ``<!-- mark:start -->``
            and ending with ``<!-- mark:end -->``.
        mark: The section's name.
    """
    start, end = f'<!-- {mark}:start -->', f'<!-- {mark}:end -->'
    if not (section.lstrip().startswith(start) and section.rstrip().endswith(end)):
        raise ValueError(f'the section must be framed by {start} ... {end}')
    text = ''
    if osp.exists(path):
        with open(path) as f:
            text = f.read()
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip('\n')
        text = before + section + ('\n' + after if after else '')
    else:
        text = (text or HEADER).rstrip('\n') + '\n\n' + section
    with open(path, 'w') as f:
        f.write(text)
