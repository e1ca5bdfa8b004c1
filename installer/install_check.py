"""``--check``: will GIMP see the plug-in, did the last install finish, does the engine start?

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from engine_env import check_engine_python, check_weights
from install_steps import InstallError, Runner, say
from user_places import PLUGIN_NAME, Places, plugins_dir


def check_install(
    args: argparse.Namespace, places: Places, source: bytes | None, run: Runner
) -> int:
    """Say whether GIMP will see the plug-in (``source``: this version's, None if unknown) and
    whether its engine starts; 0 when both hold."""
    ok = True
    profiles = [Path(p).expanduser() for p in args.gimp_dir] or places.find_profiles()
    if not profiles:
        say("no GIMP 3 profile found: start GIMP 3 once, then install (or use --gimp-dir)")
        return 1
    for profile in profiles:
        target = plugins_dir(profile) / PLUGIN_NAME / f"{PLUGIN_NAME}.py"
        problems = plugin_problems(target, source)
        if problems:
            ok = False
            say(f"NOT VISIBLE  {target}: {'; '.join(problems)}")
        else:
            registered = plugin_registered(profile, target)
            say(
                f"visible      {target}"
                + ("" if registered else " (GIMP registers it at its next start)")
            )
    config_dir = places.config_dir()
    if (config_dir / "install.incomplete").exists():
        ok = False
        say(
            f"incomplete   an install did not finish ({config_dir / 'install.incomplete'}); re-run it"
        )
    engine_path = config_dir / "engine.json"
    try:
        engine = json.loads(engine_path.read_text(encoding="utf-8"))
        say(f"engine       {check_engine_python(Path(engine['python']), run)}")
    except (OSError, ValueError, KeyError) as err:
        ok = False
        say(f"NO ENGINE    {engine_path}: {err}")
    except InstallError as err:
        ok = False
        say(f"ENGINE BROKEN {err}")
    else:
        if engine.get("weights"):
            try:
                check_weights(Path(engine["python"]), Path(engine["weights"]), run)
                say(f"weights      {engine['weights']} (loads)")
            except InstallError as err:
                ok = False
                say(f"WEIGHTS BROKEN {err} (recorded in {engine_path})")
    say(
        "OK: GIMP will show Filters > SC-NN Inpaint"
        if ok
        else "problems found: run the installer again"
    )
    return 0 if ok else 1


def plugin_problems(target: Path, source: bytes | None) -> list[str]:
    """Why GIMP 3 would silently skip ``target`` (each case was tried against GIMP 3.0.4)."""
    if not target.is_file():
        return ["not installed"]
    problems = []
    if target.parent.name != target.stem:
        problems.append("folder name differs from the file name")
    if platform.system() != "Windows" and not os.access(target, os.X_OK):
        problems.append("not executable")
    content = target.read_bytes()
    if not content.startswith(b"#!"):
        problems.append("no '#!/usr/bin/env python3' first line")
    if source is not None and content != source:
        problems.append("differs from this version's plug-in (re-run the installer to update)")
    return problems


def plugin_registered(profile: Path, target: Path) -> bool:
    """GIMP lists the plug-ins it queried in ``pluginrc``."""
    try:
        return target.name in (profile / "pluginrc").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
