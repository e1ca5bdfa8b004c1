"""Which weights the user can pick: the shipped configs, their fine-tuned files, or any file.

A choice is stored as one string (see ``settings.AppSettings.weights``) so the settings file stays
readable: ``shipped:<config>`` for shipped weights, a path for anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..weights import finetuned_dir, shipped_dir
from .settings import SHIPPED_PREFIX


@dataclass(frozen=True)
class WeightsChoice:
    label: str  # what the chooser shows
    value: str  # what the settings store


def weights_choices() -> list[WeightsChoice]:
    """Shipped configs named in the manifest, then fine-tuned files by name; may be empty."""
    choices = [WeightsChoice(f"Shipped: {name}", SHIPPED_PREFIX + name) for name in _shipped()]
    folder = finetuned_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.safetensors")):
            choices.append(WeightsChoice(f"Fine-tuned: {path.stem}", str(path)))
    return choices


def weights_source(value: str) -> tuple[Path | None, str]:
    """(weights path or None, shipped config) as ``Inpainter.from_pretrained`` takes them."""
    if value.startswith(SHIPPED_PREFIX):
        return None, value[len(SHIPPED_PREFIX) :]
    return Path(value).expanduser(), "default"


def _shipped() -> list[str]:
    try:
        manifest = json.loads((shipped_dir() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return sorted(manifest) if isinstance(manifest, dict) else []
