#!/usr/bin/env bash
# Create (or complete) the project's virtual environment in .venv.
#
# Idempotent: every step is skipped when already satisfied.
#   * torch: kept if any torch is importable (a user's own build stays); else torch==2.13.0 from
#     PyPI, whose default Linux x86_64 build bundles the CUDA 13 libraries (the nvidia/ and triton/
#     packages: 3.4 GB of a 5.4 GB .venv) and also runs on a CPU. TORCH_INDEX_URL names another
#     index for torch alone, e.g. PyTorch's CPU wheels (no CUDA libraries):
#       TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu make setup
#   * mmcv 2.1.0 with compiled ops: skipped when `import mmcv._ext` works; otherwise pip takes a wheel
#     if one is found (PIP_FIND_LINKS may point at a wheelhouse) or builds it from source with
#     MMCV_WITH_OPS=1 and --no-build-isolation (about 9 minutes on 2 cores; pip caches the wheel).
#   * mmengine 0.10.7, mmsegmentation 1.2.2 and the runtime extras, then `pip install -e .`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.mmada-setup-done"

if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ] && [ "$STAMP" -nt tools/setup_env.sh ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
pip_install() { "$VPY" -m pip install --disable-pip-version-check "$@"; }

pip_install -q --upgrade pip
pip_install -q wheel 'setuptools>=77.0.3,<81' 'numpy<2'
if ! "$VPY" -c 'import torch' 2>/dev/null; then
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    echo "[setup] installing torch 2.13.0 from $TORCH_INDEX_URL"
    pip_install -q torch==2.13.0 --index-url "$TORCH_INDEX_URL"
  else
    echo "[setup] installing torch 2.13.0 from PyPI (the default build, with the CUDA libraries;"
    echo "[setup] TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu installs the CPU-only one)"
    pip_install -q torch==2.13.0
  fi
fi
if ! "$VPY" -c 'import mmcv._ext' 2>/dev/null; then
  echo "[setup] installing mmcv 2.1.0 with compiled ops (a source build takes ~9 min on 2 cores)"
  MMCV_WITH_OPS=1 pip_install --no-build-isolation mmcv==2.1.0 'numpy<2' 'opencv-python<4.11'
fi
pip_install -q mmengine==0.10.7 mmsegmentation==1.2.2 ftfy regex scikit-learn scikit-image pytest pytest-xdist pytest-cov \
  matplotlib tqdm \
  'numpy<2' 'opencv-python<4.11'
pip_install -q --no-build-isolation --no-deps -e .
"$VPY" - <<'PY'
import mmcv._ext, mmengine, mmseg, mmseg.models, skimage, torch  # noqa: F401
cuda = f'CUDA {torch.version.cuda} build' if torch.version.cuda else 'CPU-only build'
print(f'[setup] torch {torch.__version__} ({cuda}), mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmseg {mmseg.__version__}')
PY
echo "[setup] $VENV: $(du -sh "$VENV" 2>/dev/null | cut -f1)"
touch "$STAMP"
