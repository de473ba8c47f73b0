#!/usr/bin/env bash
# Create or reuse the project's virtual environment.
#
#   bash tools/setup_env.sh [VENV]            CPU (make env/demo/test): exactly the versions of
#                                             requirements/locked_cpu.txt, checked after installing
#   bash tools/setup_env.sh --gpu [VENV]      a CUDA machine (make env-gpu): the machine's own CUDA torch
#                                             (>= 2.6) and torchvision, the rest within requirements/constraints.txt
#   bash tools/setup_env.sh --resolve [VENV]  the newest versions within requirements/constraints.txt
#                                             (what tools/lock_env.sh freezes into the lock)
#
# mmcv 2.1.0 is built from source with its ops once per torch version into ~/.cache/svm/wheels/ (about
# 15 min on 2 cores, 2 min on 16) and installed from there. On the GPU route it is built with CPU ops only
# unless MMCV_CUDA_OPS=1: svm runs NMS and RoIAlign on CUDA through torchvision (svm/ops/torchvision_ops.py).
# Machines without a package index: PIP_NO_INDEX=1 PIP_FIND_LINKS=/path/to/wheels (with mmcv's sdist there).
# Idempotent: each step is skipped or a no-op when it is already satisfied.
set -euo pipefail
MODE=cpu
case "${1:-}" in
  --gpu) MODE=gpu; shift ;;
  --resolve) MODE=resolve; shift ;;
esac
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
cd "$(dirname "$0")/.."
LOCK=requirements/locked_cpu.txt

"$PYTHON" - <<'EOF'
import sys
if sys.version_info < (3, 10):
    sys.exit(f'[setup_env] svm needs Python >= 3.10 (torch 2.14 and svm use it), found {sys.version.split()[0]}; '
             'set PYTHON=python3.10 (or newer)')
EOF

if [ "$MODE" = gpu ]; then
  # The cluster's torch is a CUDA build matched to its driver: reuse it rather than download another.
  "$PYTHON" -c "import torch, torchvision" 2>/dev/null || {
    echo "[setup_env] --gpu needs a CUDA build of torch >= 2.6 and torchvision importable by $PYTHON; install them first, e.g." >&2
    echo "  $PYTHON -m pip install torch torchvision --index-url https://download.pytorch.org/whl/cu128" >&2
    exit 1; }
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv --system-site-packages "$VENV"
  "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null || {
    echo "[setup_env] $VENV does not see $PYTHON's torch: --system-site-packages reaches the base interpreter's" >&2
    echo "  packages, not another venv's. Set PYTHON to the interpreter that holds torch (a conda env's or the" >&2
    echo "  system's python), or install torch and torchvision into $VENV first." >&2
    exit 1; }
  CONSTRAINTS=$(mktemp)
  trap 'rm -f "$CONSTRAINTS"' EXIT
  grep -vE '^(torch|torchvision)==' requirements/constraints.txt > "$CONSTRAINTS"
elif [ "$MODE" = resolve ] || [ ! -f "$LOCK" ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  CONSTRAINTS=requirements/constraints.txt
else
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  CONSTRAINTS=$LOCK
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS")

echo "[setup_env] base tools and torch ($MODE, versions from $([ "$MODE" = gpu ] && echo "this machine's torch and " )$CONSTRAINTS)"
"${PIP[@]}" --upgrade pip wheel "setuptools>=77,<81" ninja  # ninja: mmcv's build, also when its wheel is cached
if [ "$MODE" != gpu ]; then
  "${PIP[@]}" torch torchvision numpy
fi
"$PY" - <<'EOF'
import torch
from svm.utils.dependencies import check_torch  # the torch-only part of svm; imports nothing else
check_torch()
print(f'[setup_env] torch {torch.__version__}, CUDA {torch.version.cuda or "none"}, '
      f'GPU {"yes: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no"}')
EOF

if ! "$PY" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
  TORCH_VERSION=$("$PY" -c "import torch; print(torch.__version__)")
  CUDA_OPS=${MMCV_CUDA_OPS:-0}
  WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/svm/wheels/torch-$TORCH_VERSION-cudaops$CUDA_OPS"
  if ! ls "$WHEELS"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    echo "[setup_env] building mmcv 2.1.0 with $([ "$CUDA_OPS" = 1 ] && echo CUDA || echo CPU) ops against torch $TORCH_VERSION into $WHEELS (~15 min on 2 cores, 2 on 16; once)"
    mkdir -p "$WHEELS"
    SRC=$(mktemp -d)
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --no-build-isolation -d "$SRC" -r requirements/build.txt
    tar xzf "$SRC"/mmcv-2.1.0.tar.gz -C "$SRC"
    if grep -q 'C++20 or later' "$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))')/include/ATen/ATen.h"; then
      # torch >= 2.14's headers need C++20; mmcv 2.1.0's setup.py asks for C++17
      sed -i "s/'-std=c++17'/'-std=c++20'/g" "$SRC"/mmcv-2.1.0/setup.py
    fi
    if [ "$CUDA_OPS" = 1 ]; then
      export FORCE_CUDA=1
    else
      export CUDA_VISIBLE_DEVICES=  # mmcv compiles CUDA kernels whenever torch sees a GPU: hide it
    fi
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "$PY" -m pip wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps -w "$WHEELS" "$SRC"/mmcv-2.1.0
    unset FORCE_CUDA CUDA_VISIBLE_DEVICES
    rm -rf "$SRC"
  fi
  "${PIP[@]}" --no-deps "$WHEELS"/mmcv-2.1.0-*.whl
fi

echo "[setup_env] runtime and test requirements"
EXTRA=()
[ "$MODE" = gpu ] && EXTRA=(-r requirements/optional_gpu.txt)
"${PIP[@]}" -r requirements/runtime.txt -r requirements/tests.txt "${EXTRA[@]}"
"${PIP[@]}" --no-build-isolation --no-deps -e .

if [ "$MODE" = cpu ] && [ -f "$LOCK" ]; then
  # Anything outside the lock (a package the lock lacks, another version) would make the figures drift.
  "$PY" -m pip list --format=freeze --exclude-editable --disable-pip-version-check | grep -v '^svm' | sort -f > "$VENV/.svm-freeze"
  if ! diff <(grep -vE '^\s*(#|$)' "$LOCK" | sort -f) "$VENV/.svm-freeze" > "$VENV/.svm-lock-diff"; then
    echo "[setup_env] $VENV differs from $LOCK ('<' the lock, '>' installed):" >&2
    cat "$VENV/.svm-lock-diff" >&2
    echo "[setup_env] remove $VENV and run make again, or regenerate the lock on purpose with tools/lock_env.sh" >&2
    exit 1
  fi
  echo "[setup_env] $VENV matches $LOCK"
fi
"$PY" -c "import svm; print('[setup_env] svm', svm.__version__, 'ready')"
