"""Locate, verify and load weights safely; save them atomically.

Format: safetensors (never pickle, so a weights file cannot run code) with string metadata: the model
config and its arguments, the trained timestep count, a format version, a training summary, and a sha256
over the tensors themselves, so a file changed after it was written is refused. The shipped files are
also pinned by whole-file sha256 in ``weights/manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from .atomic import atomic_write
from .errors import WeightsError
from .models import build_model

FORMAT = "scnn-inpaint-weights/1"


def shipped_dir() -> Path:
    """The folder holding the weights that ship with the package (the repository's ``weights/``)."""
    return Path(str(resources.files("scnn_plugin.shipped_weights")))


@dataclass(frozen=True)
class WeightsInfo:
    """What a weights file says about itself."""

    path: Path
    config: str
    model_kwargs: dict[str, Any]
    timesteps: int
    version: str
    tensors_sha256: str
    training: dict[str, Any] = field(default_factory=dict)


def tensors_digest(state: dict[str, torch.Tensor]) -> str:
    """sha256 over names, dtypes, shapes and bytes in name order: independent of file layout."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())  # 0-dim too (BN counters)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def resolve_weights(weights: str | os.PathLike | None, config: str = "default") -> Path:
    """``None`` -> the shipped file for ``config``, checked against the manifest; else the given path."""
    if weights is not None:
        return Path(weights).expanduser()
    directory = shipped_dir()
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
        entry = manifest[config]
    except (OSError, ValueError, KeyError) as err:
        raise WeightsError(
            f"no shipped weights for config {config!r} ({manifest_path}: {err}); reinstall the package"
        ) from None
    path = directory / entry["file"]
    if not path.is_file():
        raise WeightsError(f"shipped weights file is missing: {path}; reinstall the package")
    if file_sha256(path) != entry["sha256"]:
        raise WeightsError(f"shipped weights {path} fail their sha256 check; reinstall the package")
    return path


def load_weights(path: Path, device: str | torch.device = "cpu") -> tuple[nn.Module, WeightsInfo]:
    """Build the model the file names, load it strictly, and return it in eval mode with its info."""
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:  # one parse: header + tensors
            meta = f.metadata() or {}
            state = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (no __iter__)
    except (SafetensorError, OSError, ValueError, UnicodeDecodeError) as err:
        raise WeightsError(f"{path} is not a readable safetensors weights file ({err})") from None
    if meta.get("format") != FORMAT:
        raise WeightsError(f"{path} is not an SC-NN Inpaint weights file (format {meta.get('format')!r})")
    try:
        info = WeightsInfo(
            path=path,
            config=meta["config"],
            model_kwargs=json.loads(meta["model_kwargs"]),
            timesteps=int(meta["timesteps"]),
            version=meta["version"],
            tensors_sha256=meta["tensors_sha256"],
            training=json.loads(meta.get("training", "{}")),
        )
    except (KeyError, ValueError) as err:
        raise WeightsError(f"{path} has incomplete metadata ({err})") from None
    if tensors_digest(state) != info.tensors_sha256:
        raise WeightsError(f"{path} fails its checksum: the file was modified or is corrupt")
    bad = [name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise WeightsError(f"{path} contains NaN or infinite values in {', '.join(bad[:3])}")
    try:
        model = build_model(info.config, **info.model_kwargs)
        model.load_state_dict(state, strict=True)
    except (ValueError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0]
        raise WeightsError(f"{path} does not fit model config {info.config!r}: {first}") from None
    return model.to(device).eval(), info


def save_weights(
    path: Path,
    model: nn.Module,
    config: str,
    model_kwargs: dict[str, Any],
    version: str,
    training: dict[str, Any] | None = None,
    exclusive: bool = False,
) -> str:
    """Write ``model``'s weights to ``path`` atomically and return the tensors' digest.

    ``exclusive=True`` raises ``FileExistsError`` instead of replacing an existing file.
    """
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    digest = tensors_digest(state)
    meta = {
        "format": FORMAT,
        "config": config,
        "model_kwargs": json.dumps(model_kwargs),
        "timesteps": str(getattr(model, "timesteps", 1)),
        "version": version,
        "tensors_sha256": digest,
        "training": json.dumps(training or {}),
    }
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=meta), exclusive=exclusive)
    return digest
