#!/usr/bin/env bash
# Create or reuse the project's virtual environment with the CPU stack:
# torch 2.13.0, mmcv 2.1.0 built from source with ops, OpenMMLab 2.x, and svm in editable mode.
# Idempotent: each step is skipped when it is already satisfied (pip reuses its cached mmcv wheel).
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
cd "$(dirname "$0")/.."

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt)

echo "[setup_env] base tools and torch"
"${PIP[@]}" --upgrade pip wheel "setuptools>=77,<81"
"${PIP[@]}" torch==2.13.0 numpy

if ! "$PY" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
  echo "[setup_env] mmcv 2.1.0 with ops (built from source: ~12 min on 2 cores unless pip has the wheel cached)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" --no-build-isolation -r requirements/build.txt
fi

echo "[setup_env] runtime and test requirements"
"${PIP[@]}" -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" --no-build-isolation --no-deps -e .
"$PY" -c "import svm; print('[setup_env] svm', svm.__version__, 'ready')"
