"""Where things live on the user's machine: its platform folders, GIMP 3 profiles, GPU and network.

``Places`` describes one machine; every field is injectable, so tests run on fake homes. Standard
library only.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "scnn-inpaint"
PLUGIN_NAME = "scnn-inpaint"  # folder and file name GIMP requires to match
FLATPAK_ID = "org.gimp.GIMP"
PROFILE_NAME = re.compile(r"^3\.\d+$")
PROBE_SECONDS = 5.0  # one try at an index: long enough for a slow link, short beside pip's retries


def has_nvidia_gpu() -> bool:
    """The NVIDIA driver is loaded or its tool is installed: a CUDA build of torch can use the GPU."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def probe_url(url: str) -> str | None:
    """None when ``url`` answers within ``PROBE_SECONDS``; else why not, in a few words."""
    try:
        with urllib.request.urlopen(url, timeout=PROBE_SECONDS):
            return None
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except urllib.error.URLError as err:
        return str(err.reason)
    except (TimeoutError, OSError) as err:
        return str(err) or type(err).__name__
    except ValueError as err:  # not a URL at all
        return str(err)


@dataclass(frozen=True)
class Places:
    """The user's platform folders, GPU and network; every field is injectable for tests."""

    environ: dict = field(default_factory=lambda: dict(os.environ))
    system: str = field(default_factory=platform.system)
    home: Path = field(default_factory=Path.home)
    nvidia: bool = field(default_factory=has_nvidia_gpu)
    # None when a URL answers, else why not: PyTorch's index is probed once before pip uses it
    reach: Callable[[str], str | None] = field(default=probe_url)

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


def is_flatpak_profile(profile: Path, places: Places) -> bool:
    return places.flatpak_config() in profile.parents


def engine_config_paths(places: Places, profiles: list[Path]) -> list[Path]:
    """Where to write ``engine.json``: the user config dir, and a Flatpak GIMP's own config dir."""
    paths = [places.config_dir() / "engine.json"]
    if any(is_flatpak_profile(p, places) for p in profiles):
        flatpak = places.flatpak_config() / APP_NAME / "engine.json"
        if flatpak not in paths:
            paths.append(flatpak)
    return paths
