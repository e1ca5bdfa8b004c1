#!/usr/bin/env bash
# Developer / CI environment: ./.venv with torch pinned first (a looser requirement pulls a multi-GB
# CUDA build), then this project with its test and evaluation extras. Idempotent: a second run only
# checks. Usage: bash installer/dev-env.sh [--cpu]
# Which torch, as installer/install.py chooses it: --cpu or SCNN_TORCH_INDEX=cpu adds PyTorch's
# CPU-only index for the torch step (the default on Linux without an NVIDIA GPU; probed once, and left
# out with a one-line note where it cannot be reached, so pip's own index, a mirror or a wheel folder
# serves), SCNN_TORCH_INDEX=pip keeps pip's own configuration only, any other value is the only index
# torch comes from. One line says where torch came from.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_PIN="torch==2.13.0"
CPU_TORCH_INDEX="https://download.pytorch.org/whl/cpu"
choice=${SCNN_TORCH_INDEX:-}
[ "${1:-}" = --cpu ] && choice=cpu
no_gpu=
if [ "$(uname -s)" = Linux ] && [ ! -e /proc/driver/nvidia/version ] && ! command -v nvidia-smi >/dev/null; then
  no_gpu=1
fi
if [ -z "$choice" ]; then
  choice=pip
  [ -n "$no_gpu" ] && choice=cpu  # PyPI's Linux torch is the CUDA build: no use without an NVIDIA GPU
fi
case $choice in
  cpu) torch_index=(--extra-index-url "$CPU_TORCH_INDEX") ;;
  pip) torch_index=() ;;
  *) torch_index=(--index-url "$choice") ;;
esac

# Qt needs system libraries a bare Debian lacks: the first line for PyQt6 at all (offscreen tests),
# the rest for the window on an X11 desktop (Qt's xcb platform plugin, libQt6XcbQpa's NEEDED list;
# without xcb-cursor0 Qt says "could not load the Qt platform plugin xcb").
QT_LIBS="libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
  libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for pkg in $QT_LIBS; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "dev-env: installing system libraries: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "dev-env: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  # One short probe: where the CPU index cannot be reached, pip would retry it 5 times a package.
  if [ "$choice" = cpu ] && ! "$PYTHON" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5)' "$CPU_TORCH_INDEX/torch/" >/dev/null 2>&1; then
    echo "dev-env: PyTorch's CPU index $CPU_TORCH_INDEX cannot be reached; taking torch from pip's own index"
    torch_index=()
  fi
  echo "dev-env: installing $TORCH_PIN${torch_index[*]:+ with ${torch_index[*]}}"
  .venv/bin/pip install -q "${torch_index[@]}" "$TORCH_PIN"
  got=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('torch'))" 2>/dev/null || true)
  case "${torch_index[*]}" in
    --index-url*) source=${torch_index[1]} ;;
    "") source="pip's own index" ;;
    *) case $got in
         *+cpu) source="PyTorch's CPU index $CPU_TORCH_INDEX" ;;
         *) source="pip's own index, not the CPU index (not the CPU-only build: it works, it is larger)" ;;
       esac ;;
  esac
  echo "dev-env: torch ${got:-${TORCH_PIN#torch==}} came from $source"
  case $got in
    *+cu*) [ -n "$no_gpu" ] && echo "dev-env: that is the CUDA build, several GB, and this machine has" \
      "no NVIDIA GPU; for the 190 MB CPU-only build run it again where $CPU_TORCH_INDEX answers," \
      "or with SCNN_TORCH_INDEX=URL of a mirror of it" ;;
  esac
fi
echo "dev-env: installing scnn-inpaint with test and eval extras"
.venv/bin/pip install -q -e ".[test,eval]"
.venv/bin/python -c "import scnn_plugin, torch; print('dev-env: ready, scnn_plugin', scnn_plugin.__version__, 'torch', torch.__version__)"
