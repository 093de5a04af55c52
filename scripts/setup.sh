#!/usr/bin/env bash
# Set up dynarep on a fresh Linux machine with nothing but Python 3.11+:
#   1. the Debian EGL packages MuJoCo needs to render headless, and Debian's chromium, which the
#      report test renders report.html with (when run as root with apt-get),
#   2. a virtualenv in .venv (override with VENV=...),
#   3. PyTorch: the CPU build torch==2.13.0 first on machines without a GPU (an unpinned torch
#      pulls a multi-GB CUDA build), any torch>=2.4 where nvidia-smi exists,
#   4. dynarep itself with its test tools, the Metaworld extra (metaworld==3.1.1) and the logging
#      extra (TensorBoard, Weights & Biases; set DYNAREP_EXTRAS=dev to leave both out), then a
#      one-frame rendering smoke check.
# Safe to re-run: every step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

GL_PACKAGES="libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libopengl0"
REPORT_PACKAGES="chromium"  # headless browser that the report test renders report.html with
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=""
  for pkg in $GL_PACKAGES $REPORT_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
elif ! ldconfig -p 2>/dev/null | grep -q libEGL.so; then
  echo "setup: warning: libEGL not found; as root run: apt-get install -y $GL_PACKAGES" >&2
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    $PIP install -q "torch>=2.4"
  else
    $PIP install -q "torch==2.13.0"
  fi
fi
$PIP install -q -e ".[${DYNAREP_EXTRAS:-dev,metaworld,logging}]"
MUJOCO_GL="${MUJOCO_GL:-egl}" "$VENV/bin/python" - <<'PY'
from dynarep.envs.pointmass import PointMassBatch, PointMassConfig
import numpy as np
sim = PointMassBatch(PointMassConfig(image_size=32), 1)
sim.reset(np.zeros((1, 2)), np.zeros((1, 2)))
frame = sim.render()
sim.close()
assert frame.shape == (1, 32, 32, 3) and frame.std() > 0, "rendering produced a blank frame"
print("setup: ok (headless rendering works)")
PY
