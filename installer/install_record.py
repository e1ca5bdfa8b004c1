"""The install record and its transaction: what an install made, so that a failed step rolls it
back and ``--uninstall`` removes exactly that, and no folder that was there before.

Standard library only.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from install_steps import say
from user_places import Places


class Record:
    """What the installer created (``install-record.json``): ``--uninstall`` removes exactly these.

    Paths are added before they are created and saved at once (as soon as the record's own folder
    exists), so even an install killed half-way leaves a record that ``--uninstall`` can follow.
    """

    def __init__(self, path: Path, version: str | None = None) -> None:
        self.path = path
        self.version = version  # the installer's, written into the record; None to only read it
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
            "version": self.version,
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
