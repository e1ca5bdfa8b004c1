"""Debian packages as a photo source: fetch with ``apt-get download``, unpack with ``dpkg -x``, and
read which licence covers a file from the package's machine-readable copyright file.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from ..errors import ScnnError


class DebianPackageError(ScnnError):
    """A Debian package cannot be fetched or unpacked here: no dpkg or apt-get, no mirror
    reachable, or a damaged .deb. Raised, never exited on, so ``main`` answers with one line."""


def require_tool(tool: str, why: str) -> None:
    """``DebianPackageError`` unless ``tool`` is on PATH."""
    if shutil.which(tool) is None:
        raise DebianPackageError(f"{tool} is needed to {why}, and it is not on PATH")


def fetch_deb(package: str, debs: Path) -> Path:
    """Path of ``package``'s .deb in ``debs``, downloading it (after one apt update if needed)."""
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    require_tool("apt-get", f"download {package} (or put its .deb in {debs})")
    download = ["apt-get", "download", package]
    if subprocess.run(download, cwd=debs, check=False).returncode != 0:
        # The package lists may be missing or stale: refresh them once and try again.
        refreshed = subprocess.run(["apt-get", "update"], check=False).returncode == 0
        if not refreshed or subprocess.run(download, cwd=debs, check=False).returncode != 0:
            raise DebianPackageError(
                f"apt-get download {package} failed: is a Debian mirror reachable? "
                f"(or put {package}_*.deb in {debs})"
            )
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise DebianPackageError(f"apt-get download {package} left no {package}_*.deb in {debs}")
    return found[-1]


def extract_deb(deb: Path, dest: Path) -> Path:
    """Unpack ``deb`` into ``dest`` with dpkg -x and return ``dest``."""
    require_tool("dpkg", "unpack the Debian packages")
    if subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=False).returncode != 0:
        raise DebianPackageError(f"dpkg -x {deb} failed; delete the file to download it again")
    return dest


def read_copyright(root: Path, package: str) -> str:
    """The package's Debian copyright file, where its images' licences are stated."""
    return (root / "usr/share/doc" / package / "copyright").read_text(errors="replace")


def licence_for(copyright_text: str, path: str) -> str:
    """Short licence name for ``path`` from a machine-readable (DEP-5) copyright file.

    Debian lists source-tree paths, not installed ones, so a wildcard pattern matches when it
    matches any trailing part of ``path``, and a literal one when its trailing components agree
    with the path's (all but its first, as the source tree's top folder is gone on install).
    The last matching stanza wins, as DEP-5 says. Files that are not DEP-5 give their first
    "Licensed under ... License" phrase, or "see licence excerpt".
    """
    best = ""
    parts = path.strip(":/").split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    for patterns, licence in _dep5_stanzas(copyright_text):
        if any(_matches(p, parts, tails) for p in patterns):
            best = licence
    if best:
        return best
    said = re.search(r"Licensed under (.+?License)", copyright_text, re.DOTALL)
    return " ".join(said.group(1).split()) if said else "see licence excerpt"


def _matches(pattern: str, parts: list[str], tails: list[str]) -> bool:
    if any(c in pattern for c in "*?["):
        return any(fnmatch.fnmatchcase(t, pattern) for t in tails)
    own = pattern.split("/")
    k = max(1, min(len(own), len(parts)) - 1)
    return own[-k:] == parts[-k:]


def _dep5_stanzas(text: str) -> Iterator[tuple[list[str], str]]:
    """(Files patterns, License short name) for each files stanza of a DEP-5 file."""
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line[:1].isspace() and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Files" in fields and "License" in fields:
            yield fields["Files"].split(), fields["License"].splitlines()[0].strip()
