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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

VERSION = "0.1.0"
APP_NAME = "scnn-inpaint"
PLUGIN_NAME = "scnn-inpaint"  # folder and file name GIMP requires to match
TORCH_PIN = "torch==2.13.0"  # keep equal to pyproject.toml's pin
# PyTorch's CPU-only builds (``2.13.0+cpu``, about 190 MB against PyPI's multi-GB CUDA build on Linux).
# Added with --extra-index-url, so pip's own index stays in use: where this one cannot be reached
# (offline mirrors, wheel folders), pip warns, retries and installs from what it is configured with.
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# The torch step's index: "cpu" (as --cpu), "pip" (pip's own configuration only), or an index URL.
TORCH_INDEX_ENV = "SCNN_TORCH_INDEX"
MIN_PYTHON = (3, 11)
SOURCE = Path(__file__).resolve().parent.parent
PLUGIN_SOURCE = SOURCE / "gimp" / PLUGIN_NAME / f"{PLUGIN_NAME}.py"
FLATPAK_ID = "org.gimp.GIMP"
PROFILE_NAME = re.compile(r"^3\.\d+$")
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


class Runner(Protocol):
    def __call__(
        self, command: Sequence[str], cwd: Path | None = None, env: dict | None = None
    ) -> str: ...


class InstallError(Exception):
    """A step failed; the message says what and how to fix it."""


# ---- where things live --------------------------------------------------------------------------


def has_nvidia_gpu() -> bool:
    """The NVIDIA driver is loaded or its tool is installed: a CUDA build of torch can use the GPU."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


@dataclass(frozen=True)
class Places:
    """The user's platform folders and GPU; every field is injectable for tests."""

    environ: dict = field(default_factory=lambda: dict(os.environ))
    system: str = field(default_factory=platform.system)
    home: Path = field(default_factory=Path.home)
    nvidia: bool = field(default_factory=has_nvidia_gpu)

    def config_dir(self) -> Path:
        """``platformdirs.user_config_dir("scnn-inpaint")``; the plug-in computes the same path."""
        if self.system == "Windows":
            return self._local_appdata() / APP_NAME / APP_NAME
        if self.system == "Darwin":
            return self.home / "Library" / "Application Support" / APP_NAME
        xdg = self.environ.get("XDG_CONFIG_HOME", "").strip()
        return Path(xdg) / APP_NAME if xdg else self.home / ".config" / APP_NAME

    def default_venv(self) -> Path:
        """``platformdirs.user_data_dir("scnn-inpaint") / "venv"``."""
        if self.system == "Windows":
            return self._local_appdata() / APP_NAME / APP_NAME / "venv"
        if self.system == "Darwin":
            return self.home / "Library" / "Application Support" / APP_NAME / "venv"
        xdg = self.environ.get("XDG_DATA_HOME", "").strip()
        return (Path(xdg) if xdg else self.home / ".local" / "share") / APP_NAME / "venv"

    def gimp_config_roots(self) -> list[Path]:
        """Folders holding GIMP's per-version profiles (``3.0``, ``3.2``, ...)."""
        if self.system == "Windows":
            appdata = self.environ.get("APPDATA") or str(self.home / "AppData" / "Roaming")
            return [Path(appdata) / "GIMP"]
        if self.system == "Darwin":
            return [self.home / "Library" / "Application Support" / "GIMP"]
        xdg = self.environ.get("XDG_CONFIG_HOME", "").strip()
        native = (Path(xdg) if xdg else self.home / ".config") / "GIMP"
        return [native, self.flatpak_config() / "GIMP"]

    def flatpak_config(self) -> Path:
        """A Flatpak GIMP's XDG_CONFIG_HOME."""
        return self.home / ".var" / "app" / FLATPAK_ID / "config"

    def find_profiles(self) -> list[Path]:
        """Every existing GIMP 3.x profile folder, oldest version first."""
        found = []
        for root in self.gimp_config_roots():
            if root.is_dir():
                found += [p for p in root.iterdir() if p.is_dir() and PROFILE_NAME.match(p.name)]
        return sorted(
            found, key=lambda p: (str(p.parent), tuple(int(n) for n in p.name.split(".")))
        )

    def _local_appdata(self) -> Path:
        return Path(self.environ.get("LOCALAPPDATA") or self.home / "AppData" / "Local")


def plugins_dir(gimp_dir: Path) -> Path:
    """``--gimp-dir`` may name a profile (``.../GIMP/3.0``) or its ``plug-ins`` folder."""
    return gimp_dir if gimp_dir.name == "plug-ins" else gimp_dir / "plug-ins"


def venv_python(venv: Path, system: str) -> Path:
    return venv / ("Scripts/python.exe" if system == "Windows" else "bin/python")


def is_flatpak_profile(profile: Path, places: Places) -> bool:
    return places.flatpak_config() in profile.parents


# ---- the install record and its transaction -----------------------------------------------------


class Record:
    """What the installer created (``install-record.json``): ``--uninstall`` removes exactly these.

    Paths are added before they are created and saved at once (as soon as the record's own folder
    exists), so even an install killed half-way leaves a record that ``--uninstall`` can follow.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        data = {}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                data = {}
        self.files: list[str] = list(data.get("files", []))
        self.dirs: list[str] = list(data.get("dirs", []))
        self.venv: str | None = data.get("venv")
        self.created_venv: bool = bool(data.get("created_venv", False))

    def add_file(self, path: Path) -> bool:
        """Record ``path``; True when it was not recorded before."""
        return self._add(self.files, path)

    def add_dir(self, path: Path) -> bool:
        return self._add(self.dirs, path)

    def forget(self, path: Path) -> None:
        """A rolled-back path: it is gone again, or holds what it held before this run."""
        for paths in (self.files, self.dirs):
            if str(path) in paths:
                paths.remove(str(path))

    def _add(self, paths: list[str], path: Path) -> bool:
        if str(path) in paths:
            return False
        paths.append(str(path))
        if self.path.parent.is_dir():
            self.save()
        return True

    def save(self) -> None:
        data = {
            "version": VERSION,
            "files": self.files,
            "dirs": self.dirs,
            "venv": self.venv,
            "created_venv": self.created_venv,
        }
        write_text(self.path, json.dumps(data, indent=2) + "\n")


class Transaction:
    """Undo actions for what this run created, run in reverse if a later step fails; what is undone
    leaves the record again, so ``--uninstall`` never removes a file an install did not leave."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self._undo: list[Callable[[], None]] = []

    def created_file(self, path: Path, previous: bytes | None, recorded_now: bool) -> None:
        def undo() -> None:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(previous)
            if recorded_now:
                self.record.forget(path)

        self._undo.append(undo)

    def created_dir(self, path: Path) -> None:
        def undo() -> None:
            _rmdir_if_empty(path)
            # One that still holds something (the kept venv, the marker) stays recorded: it is ours.
            if not path.exists():
                self.record.forget(path)

        self._undo.append(undo)

    def roll_back(self) -> None:
        for undo in reversed(self._undo):
            try:
                undo()
            except OSError as err:
                say(f"  could not roll back a step: {err}")
        self._undo.clear()
        try:
            if self.record.path.parent.is_dir():
                self.record.save()
        except OSError as err:
            say(f"  could not update the install record: {err}")


def write_text(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _rmdir_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def make_dirs(path: Path, record: Record, tx: Transaction) -> None:
    """Create ``path`` and missing parents, recording each folder before this run creates it."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        record.add_dir(folder)
        tx.created_dir(folder)
        folder.mkdir()


def put_file(path: Path, content: bytes, mode: int, record: Record, tx: Transaction) -> str:
    """Write ``content`` unless already there (so GIMP, which re-queries on mtime, is not disturbed)."""
    make_dirs(path.parent, record, tx)
    previous = path.read_bytes() if path.is_file() else None
    if previous == content and (path.stat().st_mode & 0o777) == mode:
        record.add_file(path)
        return "unchanged"
    tx.created_file(path, previous, record.add_file(path))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return "updated" if previous is not None else "installed"


# ---- steps --------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, flush=True)


def run_command(command: Sequence[str], cwd: Path | None = None, env: dict | None = None) -> str:
    """Run a step's command, echoing it; ``InstallError`` with its output on failure."""
    say("  $ " + " ".join(str(c) for c in command))
    result = subprocess.run(
        [str(c) for c in command],
        check=False,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        env=env,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise InstallError(
            f"command failed ({result.returncode}): {' '.join(map(str, command))}\n{tail}"
        )
    return result.stdout


def torch_index(args: argparse.Namespace, places: Places) -> tuple[list[str], str]:
    """pip's index arguments for the torch step, and why, in words.

    First match: ``--torch-index-url``, ``--cpu``, ``$SCNN_TORCH_INDEX``; else the CPU-only index on
    Linux without an NVIDIA GPU (PyPI's Linux torch is the CUDA build), pip's own elsewhere (PyPI's
    Windows and macOS torch has no CUDA part).
    """
    choice = places.environ.get(TORCH_INDEX_ENV, "").strip()
    if args.torch_index_url:
        return ["--index-url", args.torch_index_url], "--torch-index-url"
    if args.cpu:
        return ["--extra-index-url", CPU_TORCH_INDEX], "--cpu"
    if choice == "cpu":
        return ["--extra-index-url", CPU_TORCH_INDEX], f"{TORCH_INDEX_ENV}=cpu"
    if choice == "pip":
        return [], f"{TORCH_INDEX_ENV}=pip"
    if choice:
        return ["--index-url", choice], TORCH_INDEX_ENV
    if places.system == "Linux" and not places.nvidia:
        return ["--extra-index-url", CPU_TORCH_INDEX], "Linux without an NVIDIA GPU"
    return [], "an NVIDIA GPU" if places.nvidia else f"{places.system}"


def prepare_environment(
    venv: Path,
    places: Places,
    record: Record,
    tx: Transaction,
    run: Runner,
    args: argparse.Namespace,
) -> Path:
    """Create the venv (unless present), torch pinned first, then the package; returns its Python."""
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
    wanted = TORCH_PIN.split("==")[1]
    if installed.split("+")[0] == wanted:  # 2.13.0+cpu is the pinned release too
        say(f"torch: {installed} (already installed)")
    else:
        index, why = torch_index(args, places)
        source = " ".join(index) or "pip's own index"
        say(
            f"torch: installing {TORCH_PIN}"
            + (f" (was {installed})" if installed else "")
            + f" with {source} ({why})"
        )
        run([python, "-m", "pip", "install", "--disable-pip-version-check", *index, TORCH_PIN])
        got = run([python, "-c", TORCH_VERSION_PROBE]).strip()
        if CPU_TORCH_INDEX in index and got and "+cpu" not in got:
            say(
                f"  torch {got} is not the CPU-only build: {CPU_TORCH_INDEX} was not used "
                "(unreachable?); it works, it is only larger"
            )
    say(f"scnn-inpaint: installing from {SOURCE}")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", str(SOURCE)])
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


def engine_config_paths(places: Places, profiles: list[Path]) -> list[Path]:
    """Where to write ``engine.json``: the user config dir, and a Flatpak GIMP's own config dir."""
    paths = [places.config_dir() / "engine.json"]
    if any(is_flatpak_profile(p, places) for p in profiles):
        flatpak = places.flatpak_config() / APP_NAME / "engine.json"
        if flatpak not in paths:
            paths.append(flatpak)
    return paths


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
    record = Record(config_dir / "install-record.json")
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
            python = prepare_environment(venv, places, record, tx, run, args)
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


def uninstall(places: Places) -> int:
    config_dir = places.config_dir()
    record_path = config_dir / "install-record.json"
    if not record_path.is_file():
        (config_dir / "install.incomplete").unlink(missing_ok=True)
        say(f"nothing to uninstall: no install record at {record_path}")
        return 0
    record = Record(record_path)
    for name in record.files:
        path = Path(name)
        if path.is_file():
            path.unlink()
            say(f"removed {path}")
    if record.created_venv and record.venv and Path(record.venv).is_dir():
        shutil.rmtree(record.venv)
        say(f"removed environment {record.venv}")
    (config_dir / "install.incomplete").unlink(missing_ok=True)
    record_path.unlink()
    for name in sorted(record.dirs, key=len, reverse=True):  # deepest first; never a non-empty one
        if Path(name).is_dir():
            _rmdir_if_empty(Path(name))
            if not Path(name).exists():
                say(f"removed folder {name}")
    say("uninstalled")
    return 0


def check(args: argparse.Namespace, places: Places, run: Runner = run_command) -> int:
    """Say whether GIMP will see the plug-in and whether its engine starts; 0 when both hold."""
    ok = True
    profiles = [Path(p).expanduser() for p in args.gimp_dir] or places.find_profiles()
    if not profiles:
        say("no GIMP 3 profile found: start GIMP 3 once, then install (or use --gimp-dir)")
        return 1
    source = PLUGIN_SOURCE.read_bytes() if PLUGIN_SOURCE.is_file() else None
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
