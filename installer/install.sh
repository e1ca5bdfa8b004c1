#!/bin/sh
# One command: install (or --check / --uninstall) the SC-NN Inpaint GIMP 3 plug-in and its engine.
# Uses the first python3 >= 3.11 on PATH (override with PYTHON=/path/to/python3). Options are
# install.py's (--help), e.g. --cpu for a CPU-only torch (the default on Linux without an NVIDIA GPU);
# SCNN_TORCH_INDEX=pip takes torch from pip's own index only (an offline mirror or wheel folder).
set -e
here=$(cd "$(dirname "$0")" && pwd)
for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        exec "$py" "$here/install.py" "$@"
    fi
done
echo "install.sh: Python 3.11 or newer is needed (set PYTHON=/path/to/python3)" >&2
exit 1
