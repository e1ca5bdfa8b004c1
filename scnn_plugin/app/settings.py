"""The window's persisted settings: one JSON file in the user's config directory.

Why per-field fallback: a settings file from an older version, or one edited by hand, should lose only
the values that no longer make sense, not the user's recent files along with them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from ..atomic import atomic_write
from ..cpu_threads import check_threads
from ..options import InpaintOptions

log = logging.getLogger("scnn_plugin.app")

APP_NAME = "scnn-inpaint"
SHIPPED_PREFIX = "shipped:"  # weights values naming a shipped config, e.g. "shipped:default"
MAX_RECENT = 8
BRUSH_SIZES = (1, 500)  # brush diameter range in image pixels


@dataclass(frozen=True)
class AppSettings:
    """Everything the window remembers between runs."""

    options: InpaintOptions = field(default_factory=InpaintOptions)  # device, tile, timesteps...
    weights: str = SHIPPED_PREFIX + "default"  # "shipped:<config>" or a weights file path
    brush_size: int = 40  # diameter in image pixels, within BRUSH_SIZES
    recent_files: tuple[str, ...] = ()  # most recent first, at most MAX_RECENT
    threads: int = 0  # CPU threads for the engine (cpu_threads.configure_threads); 0 = automatic

    def with_recent(self, path: str | Path) -> AppSettings:
        """These settings with ``path`` moved to the front of the recent files."""
        path = str(Path(path).resolve())
        recent = (path, *(p for p in self.recent_files if p != path))
        return replace(self, recent_files=recent[:MAX_RECENT])


def default_settings_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "settings.json"


class SettingsStore:
    """Load and save ``AppSettings`` at ``path`` (injectable so tests use a temporary folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_path()

    def load(self) -> tuple[AppSettings, str | None]:
        """The saved settings and a warning for the user, or ``None`` when all was well.

        A missing file gives defaults silently; an unreadable file, or a value that fails validation,
        gives the default for what is broken and a warning naming it. A file whose contents are
        damaged is moved aside to ``<name>.damaged`` first, so the next save does not destroy it.
        """
        if not self.path.exists():
            return AppSettings(), None
        try:
            # utf-8-sig: Notepad starts the file with a byte order mark
            data = _decode(self.path.read_text(encoding="utf-8-sig"))
        except OSError as err:  # permissions, a folder: the contents may be fine, leave them
            return AppSettings(), self._warn(f"is unreadable ({err}); using defaults.")
        except (ValueError, TypeError) as err:  # not UTF-8, not JSON, too deep, not an object
            kept = self._keep_aside()
            return AppSettings(), self._warn(f"is unreadable ({err}); using defaults{kept}.")
        settings, broken = _parse(data)
        if not broken:
            return settings, None
        warning = (
            f"Settings file {self.path}: invalid {', '.join(broken)}; using defaults for them."
        )
        log.warning(warning)
        return settings, warning

    def _keep_aside(self) -> str:
        """Move the damaged file to ``<name>.damaged``; the words for the warning, or ``""``."""
        aside = self.path.with_name(self.path.name + ".damaged")
        try:
            os.replace(self.path, aside)
        except OSError:
            return ""
        return f" (the file is kept as {aside})"

    def _warn(self, problem: str) -> str:
        warning = f"Settings file {self.path} {problem}"
        log.warning(warning)
        return warning

    def save(self, settings: AppSettings) -> None:
        """Write atomically, so a crash mid-save never leaves a half-written file behind."""
        data = {
            "options": settings.options.to_dict(),
            "weights": settings.weights,
            "brush_size": settings.brush_size,
            "recent_files": list(settings.recent_files),
            "threads": settings.threads,
        }
        text = json.dumps(data, indent=2)
        atomic_write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _decode(text: str) -> dict[str, Any]:
    """The settings object in ``text``; ``ValueError`` or ``TypeError`` for anything else."""
    try:
        data = json.loads(text)
    except RecursionError:  # json recurses once per nesting level
        raise ValueError("nested too deeply") from None
    if not isinstance(data, dict):
        raise TypeError("top level is not an object")
    return data


def _parse(data: dict[str, Any]) -> tuple[AppSettings, list[str]]:
    """Settings from ``data``, field by field, and the names of the fields that were invalid."""
    defaults = AppSettings()
    values: dict[str, Any] = {}
    broken: list[str] = []
    parsers = {
        "options": _parse_options,
        "weights": _parse_weights,
        "brush_size": _parse_brush_size,
        "recent_files": _parse_recent,
        "threads": check_threads,  # an InputError is a ValueError
    }
    for name, parse in parsers.items():
        if name not in data:
            continue
        try:
            values[name] = parse(data[name])
        except (TypeError, ValueError):
            broken.append(name)
    return replace(defaults, **values), broken


def _parse_options(value: Any) -> InpaintOptions:
    if not isinstance(value, dict):
        raise TypeError("options must be an object")
    return InpaintOptions.from_dict(value)


def _parse_weights(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("weights must be a non-empty string")
    return value


def _parse_brush_size(value: Any) -> int:
    lo, hi = BRUSH_SIZES
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"brush_size must be an integer in [{lo}, {hi}]")
    return value


def _parse_recent(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise TypeError("recent_files must be a list of strings")
    return tuple(value[:MAX_RECENT])
