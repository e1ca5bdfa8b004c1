"""The X11 libraries Qt's xcb platform plug-in loads are installed by dev-env.sh and named in the docs.

Without them the window does not start on a desktop ("could not load the Qt platform plugin xcb"),
while every offscreen test still passes, so only this test notices a list that falls behind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Debian packages of the NEEDED entries of PyQt6's libQt6XcbQpa.so.6 (objdump -p), Qt 6.
XCB_PACKAGES = {
    "libx11-6", "libx11-xcb1", "libxcb1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0",
    "libxcb-keysyms1", "libxcb-randr0", "libxcb-render0", "libxcb-render-util0", "libxcb-shape0",
    "libxcb-shm0", "libxcb-sync1", "libxcb-util1", "libxcb-xfixes0", "libxcb-xkb1",
    "libxkbcommon-x11-0",
}  # fmt: skip


def _dev_env_packages() -> set[str]:
    text = (ROOT / "installer" / "dev-env.sh").read_text(encoding="utf-8")
    block = re.search(r'QT_LIBS="([^"]*)"', text)
    assert block, "dev-env.sh keeps Qt's system libraries in QT_LIBS"
    assert "for pkg in $QT_LIBS" in text, "and installs that list"
    return set(block.group(1).split())


def test_dev_env_installs_what_qts_xcb_plugin_needs():
    assert XCB_PACKAGES <= _dev_env_packages()


XCB_HEADING = "## The window does not start"


def test_troubleshooting_names_them_and_the_readme_points_there():
    guide = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    section = guide.split(XCB_HEADING, 1)[1].split("\n## ", 1)[0]
    missing = {p for p in XCB_PACKAGES if p not in section}
    assert not missing, f"troubleshooting.md's window section does not name {sorted(missing)}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    desktop = readme.split("## Desktop window", 1)[1].split("\n## ", 1)[0]
    assert "docs/troubleshooting.md" in desktop and "platform plugin xcb" in desktop


def test_the_list_covers_the_plugins_real_dependencies():
    """Where the tools exist: every library libQt6XcbQpa needs maps to a listed package."""
    qt6 = pytest.importorskip("PyQt6").__file__
    lib = Path(qt6).parent / "Qt6" / "lib" / "libQt6XcbQpa.so.6"
    if not lib.is_file() or not shutil.which("objdump"):
        pytest.skip("no libQt6XcbQpa.so.6 or no objdump here")
    dump = subprocess.run(["objdump", "-p", str(lib)], capture_output=True, text=True, check=True)
    needed = re.findall(r"NEEDED\s+(lib(?:xcb|X11|xkbcommon-x11)\S*)", dump.stdout)
    names = {_package_of(n) for n in needed}
    assert names <= XCB_PACKAGES, sorted(names - XCB_PACKAGES)


def _package_of(soname: str) -> str:
    """Debian's package name for a shared library soname: libxcb-icccm.so.4 -> libxcb-icccm4."""
    stem, version = re.match(r"(lib.+?)\.so\.(\d+)", soname).groups()
    stem = stem.lower()
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"
