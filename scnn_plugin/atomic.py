"""Atomic file writes: the one way every part of the product writes a file the user cares about."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], None], exclusive: bool = False
) -> None:
    """Call ``write(tmp)`` on a temp file beside ``path``, fsync it, then rename it over ``path``.

    A crash, kill or full disk during ``write`` leaves any previous file at ``path`` intact and no
    temp file behind (except after kill -9, when a hidden ``.name.*.tmp`` may remain).

    ``exclusive=True`` never replaces anything: the finished file is hard-linked to ``path``, which
    fails with ``FileExistsError`` when ``path`` exists, even if another process created it a moment
    ago (a plain exists() check would race). Filesystems without hard links fall back to reserving
    ``path`` with an exclusive create before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if path.exists() and not exclusive:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        if exclusive:
            _link_exclusive(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _link_exclusive(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some network shares): reserve the name first
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        os.replace(tmp, path)
