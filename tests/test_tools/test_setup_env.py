"""tools/setup_env.sh installs torch from TORCH_INDEX_URL when it is set.

The script runs against a stand-in ``.venv`` whose ``bin/python`` records
its arguments and reports torch as missing (mmcv's ops as present), so no
package is installed and nothing leaves the machine.
"""
import os
import os.path as osp
import subprocess

import pytest

from tests.conftest import ROOT

FAKE_PYTHON = '''#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../calls.log"
case "$*" in
  "-c import torch") exit 1 ;;
esac
[ "$1" = "-" ] && cat > /dev/null
exit 0
'''


def _torch_installs(tmp_path, **env) -> list:
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    python = venv / 'bin' / 'python'
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k != 'TORCH_INDEX_URL'}
    subprocess.run(['bash', osp.join(ROOT, 'tools', 'setup_env.sh')], check=True,
                   capture_output=True, text=True, env=dict(base, VENV=str(venv), **env))
    assert (venv / '.mmada-setup-done').exists()
    calls = (venv / 'calls.log').read_text().splitlines()
    return [c for c in calls if ' install ' in f' {c} ' and 'torch==' in c]


@pytest.mark.parametrize('url,expected', [
    ('https://download.pytorch.org/whl/cpu',
     '-m pip install --disable-pip-version-check -q torch==2.13.0 '
     '--index-url https://download.pytorch.org/whl/cpu'),
    ('', '-m pip install --disable-pip-version-check -q torch==2.13.0'),
])
def test_torch_comes_from_the_index_the_variable_names(tmp_path, url, expected):
    env = {'TORCH_INDEX_URL': url} if url else {}
    assert _torch_installs(tmp_path, **env) == [expected]
