#!/usr/bin/env python3
"""One-command installer for the SC-NN Inpaint GIMP 3 plug-in and its engine.

    python installer/install.py              # install (or repair/update: every step is idempotent)
    python installer/install.py --check      # will GIMP see the plug-in, and does the engine start?
    python installer/install.py --uninstall  # remove exactly what the installer put there

Steps: create a virtual environment, install ``torch`` pinned first (a looser requirement would pull a
multi-GB CUDA build; on Linux without an NVIDIA GPU PyTorch's CPU-only index is added for this step),
then this package; copy the plug-in into every GIMP 3.x profile's ``plug-ins`` folder (its own
sub-folder, same-named executable file); write ``engine.json`` (which Python runs the engine) where the
plug-in looks for it. An ``install.incomplete`` marker is written first and the version file last, so an
interrupted install is visible to ``--check`` and repaired by a re-run; a failing step rolls back the
files this run added. Every path it creates is in ``install-record.json`` first (the record's own
folder just after), so ``--uninstall`` removes exactly what an install made, finished or not, and no
folder that was there before. Standard library only: it runs before the venv exists.

This file runs the steps; the jobs live beside it: ``user_places`` (platform folders, GIMP profiles,
GPU, network), ``torch_source`` (which index torch comes from), ``engine_env`` (the venv and the
engine's checks), ``install_record`` (the record, its rollback, ``--uninstall``), ``install_check``
(``--check``) and ``install_steps`` (errors, output, commands).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# The installer's modules sit beside this file: run as a script, Python puts this folder on the path;
# loaded any other way (tests load it by file name), it is put there here.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from engine_env import (  # after the path above
    TORCH_VERSION_PROBE,
    WEIGHTS_PROBE,
    check_engine_python,
    check_weights,
    prepare_environment,
)
from install_check import check_install, plugin_problems
from install_record import Record, Transaction, make_dirs, put_file, uninstall, write_text
from install_steps import InstallError, Runner, run_command, say
from torch_source import CPU_TORCH_INDEX, TORCH_INDEX_ENV, torch_index
from user_places import (
    FLATPAK_ID,
    PLUGIN_NAME,
    Places,
    engine_config_paths,
    is_flatpak_profile,
    plugins_dir,
)

__all__ = [
    "CPU_TORCH_INDEX",
    "TORCH_VERSION_PROBE",
    "WEIGHTS_PROBE",
    "InstallError",
    "Places",
    "Record",
    "check",
    "check_engine_python",
    "install",
    "main",
    "parse_args",
    "plugin_problems",
    "torch_index",
    "uninstall",
]

VERSION = "0.1.0"
TORCH_PIN = "torch==2.13.0"  # keep equal to pyproject.toml's pin
SOURCE = Path(__file__).resolve().parent.parent
PLUGIN_SOURCE = SOURCE / "gimp" / PLUGIN_NAME / f"{PLUGIN_NAME}.py"


def install(args: argparse.Namespace, places: Places, run: Runner = run_command) -> int:
    profiles = [Path(p).expanduser() for p in args.gimp_dir] or places.find_profiles()
    if not profiles:
        roots = ", ".join(str(r) for r in places.gimp_config_roots())
        raise InstallError(
            f"no GIMP 3 profile found (looked in {roots}). Start GIMP 3 once so it creates its profile, "
            "or name the folder with --gimp-dir."
        )
    weights = Path(args.weights).expanduser().absolute() if args.weights else None
    if weights is not None and not weights.is_file():
        raise InstallError(f"--weights {weights}: no such file")
    config_dir = places.config_dir()
    marker = config_dir / "install.incomplete"
    record = Record(config_dir / "install-record.json", VERSION)
    tx = Transaction(record)
    started = time.monotonic()
    make_dirs(config_dir, record, tx)
    record.save()  # its folder exists only now; from here on every path is saved before it is made
    write_text(marker, f"install of {VERSION} started {time.ctime()}\n")  # first
    try:
        if args.python:
            python = Path(args.python).expanduser().absolute()
            say(f"environment: using {python} (--python; nothing installed into it)")
        else:
            venv = Path(args.venv).expanduser().absolute() if args.venv else places.default_venv()
            python = prepare_environment(venv, places, record, tx, run, args, TORCH_PIN, SOURCE)
        say(f"engine: {check_engine_python(python, run)}")
        if weights is not None:
            check_weights(python, weights, run)
            say(f"weights: {weights} (loads)")
        plugin = PLUGIN_SOURCE.read_bytes()
        for profile in profiles:
            target = plugins_dir(profile) / PLUGIN_NAME / f"{PLUGIN_NAME}.py"
            say(f"plug-in: {put_file(target, plugin, 0o755, record, tx)} {target}")
            if is_flatpak_profile(profile, places):
                say(
                    "  Flatpak GIMP: let its sandbox run the engine with\n"
                    f"    flatpak override --user --filesystem={python.parent.parent}:ro {FLATPAK_ID}"
                )
        engine = {
            "python": str(python),
            "weights": str(weights) if weights is not None else None,
            "installer": VERSION,
        }
        content = (json.dumps(engine, indent=2) + "\n").encode()
        for path in engine_config_paths(places, profiles):
            say(f"engine config: {put_file(path, content, 0o644, record, tx)} {path}")
        record.add_file(config_dir / "installed-version")
        write_text(config_dir / "installed-version", VERSION + "\n")  # last
        marker.unlink()
    except BaseException:
        say(
            "install failed; rolling back the files this run added (the environment is kept for a re-run)"
        )
        tx.roll_back()
        raise
    say(
        f"done in {time.monotonic() - started:.0f} s. Restart GIMP: the plug-in is Filters > SC-NN Inpaint."
    )
    return 0


def check(args: argparse.Namespace, places: Places, run: Runner = run_command) -> int:
    """Say whether GIMP will see the plug-in and whether its engine starts; 0 when both hold."""
    source = PLUGIN_SOURCE.read_bytes() if PLUGIN_SOURCE.is_file() else None
    return check_install(args, places, source, run)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="install.py", description="Install the SC-NN Inpaint GIMP 3 plug-in and its engine."
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--uninstall", action="store_true", help="remove what the installer installed"
    )
    mode.add_argument("--check", action="store_true", help="say whether GIMP will see the plug-in")
    p.add_argument(
        "--gimp-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a GIMP profile (e.g. ~/.config/GIMP/3.0) or its plug-ins folder; repeatable",
    )
    p.add_argument("--venv", help="where to create the engine's environment")
    p.add_argument(
        "--python", help="use this existing Python (with scnn-inpaint installed) instead"
    )
    p.add_argument(
        "--weights", help="weights file the engine should use (default: the shipped ones)"
    )
    p.add_argument(
        "--torch-index-url",
        help=f"the only pip index for torch (also ${TORCH_INDEX_ENV}=URL)",
    )
    p.add_argument(
        "--cpu",
        action="store_true",
        help=f"CPU-only torch even with an NVIDIA GPU (the default on Linux without one); "
        f"${TORCH_INDEX_ENV}=pip: pip's own index only",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, places: Places | None = None) -> int:
    args = parse_args(argv)
    places = places or Places()
    try:
        if args.uninstall:
            return uninstall(places)
        if args.check:
            return check(args, places)
        return install(args, places)
    except InstallError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
