"""The engine's Python environment: the venv, torch pinned first, the package, and the checks the
plug-in's own start of the engine would make.

Standard library only: this runs before the environment exists.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from install_record import Record, Transaction, make_dirs
from install_steps import InstallError, Runner, say
from torch_source import (
    CUDA_WITHOUT_GPU,
    PIPS_OWN,
    cuda_is_no_use,
    describe_source,
    is_cuda_build,
    torch_index,
    usable_index,
)
from user_places import Places

MIN_PYTHON = (3, 11)
TORCH_VERSION_PROBE = (
    "import importlib.metadata as m\n"
    "try:\n    print(m.version('torch'))\n"
    "except m.PackageNotFoundError:\n    print('')"
)
# Run by the engine's Python: the check the engine itself makes before using weights (header,
# shapes, both digests); prints "ok" or the one-line reason.
WEIGHTS_PROBE = (
    "import sys\n"
    "from pathlib import Path\n"
    "from scnn_plugin.errors import ScnnError\n"
    "from scnn_plugin.weights import load_weights\n"
    "try:\n    load_weights(Path(sys.argv[1]))\n"
    "except (ScnnError, OSError) as err:\n    print(err)\n"
    "else:\n    print('ok')"
)
# What the plug-in removes from the environment it starts the engine with (engine_environment()).
ENGINE_ENV_DROPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


def venv_python(venv: Path, system: str) -> Path:
    return venv / ("Scripts/python.exe" if system == "Windows" else "bin/python")


def prepare_environment(
    venv: Path,
    places: Places,
    record: Record,
    tx: Transaction,
    run: Runner,
    args: argparse.Namespace,
    torch_pin: str,
    package: Path,
) -> Path:
    """Create the venv (unless present), ``torch_pin`` first, then the ``package`` folder; returns
    the environment's Python."""
    python = venv_python(venv, places.system)
    if python.exists():
        say(f"environment: {venv} (exists)")
    else:
        if sys.version_info < MIN_PYTHON:
            raise InstallError(
                f"Python {'.'.join(map(str, MIN_PYTHON))}+ is needed to create the environment; this is "
                f"{platform.python_version()}. Run the installer with a newer python3."
            )
        ours = record.created_venv and record.venv == str(venv)  # a re-run after a failed one
        if venv.exists() and any(venv.iterdir()) and not ours:
            raise InstallError(
                f"{venv} exists and is not a virtual environment; name a new folder with --venv"
            )
        say(f"environment: creating {venv}")
        make_dirs(venv.parent, record, tx)
        record.venv, record.created_venv = str(venv), True
        record.save()  # before it exists: a venv step that fails half-way is still uninstallable
        run([sys.executable, "-m", "venv", str(venv)])
    if record.venv != str(venv):
        record.venv, record.created_venv = str(venv), False
    installed = run([python, "-c", TORCH_VERSION_PROBE]).strip()
    wanted = torch_pin.split("==")[1]
    if installed.split("+")[0] == wanted:  # 2.13.0+cpu is the pinned release too
        say(f"torch: {installed} (already installed)")
    else:
        index, why = torch_index(args, places)
        index = usable_index(index, places)
        say(
            f"torch: installing {torch_pin}"
            + (f" (was {installed})" if installed else "")
            + f" with {' '.join(index) or PIPS_OWN} ({why})"
        )
        run([python, "-m", "pip", "install", "--disable-pip-version-check", *index, torch_pin])
        got = run([python, "-c", TORCH_VERSION_PROBE]).strip()
        say(f"torch: {got or wanted} came from {describe_source(index, got)}")
        if cuda_is_no_use(places) and is_cuda_build(got):
            say(CUDA_WITHOUT_GPU)
    say(f"scnn-inpaint: installing from {package}")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", str(package)])
    return python


def engine_environment() -> dict[str, str]:
    """This environment less what the plug-in removes before it starts the engine."""
    return {k: v for k, v in os.environ.items() if k not in ENGINE_ENV_DROPPED}


def run_as_engine(command: Sequence[str], run: Runner) -> str:
    """Run ``command`` as the plug-in runs the engine: in a fresh empty folder, without PYTHONPATH,
    so it sees only what is installed (not a ``scnn_plugin`` in the folder the installer runs in)."""
    with tempfile.TemporaryDirectory(prefix="scnn-inpaint-check-") as neutral:
        return run(command, cwd=Path(neutral), env=engine_environment())


def check_engine_python(python: Path, run: Runner) -> str:
    """The engine's diagnostics line; ``InstallError`` if the environment cannot run the bridge."""
    if not python.exists():
        raise InstallError(f"{python} does not exist")
    out = run_as_engine([python, "-m", "scnn_plugin.bridge", "--diagnose"], run)
    try:
        info = json.loads(out)
    except ValueError:
        raise InstallError(f"the engine answered something unexpected: {out[:200]!r}") from None
    return f"scnn-inpaint {info.get('scnn-inpaint')}, torch {info.get('torch')}, Python {info.get('python')}"


def check_weights(python: Path, weights: Path, run: Runner) -> None:
    """``InstallError`` unless the engine's Python loads ``weights`` (the engine's own checks)."""
    if not weights.is_file():
        raise InstallError(f"{weights}: no such file")
    answer = run_as_engine([python, "-c", WEIGHTS_PROBE, str(weights)], run).strip()
    if answer != "ok":
        raise InstallError(answer or "the engine gave no answer")
