"""Locate, verify and load weights safely; save them atomically.

Format: safetensors (never pickle, so a weights file cannot run code) with string metadata: the model
config and its arguments, the trained timestep count, a format version, a training summary, a sha256
over the tensors themselves and a sha256 over all of that, so a file changed after it was written is
refused. Every field is range-checked as well, and the tensor shapes are compared with the named
model before anything is allocated. The shipped files are
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

import platformdirs
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch.overrides import TorchFunctionMode

from .atomic import atomic_write
from .errors import WeightsError
from .models import InpaintNet, build_model

FORMAT = "scnn-inpaint-weights/2"  # the metadata is covered by ``digest``
LEGACY_FORMAT = "scnn-inpaint-weights/1"  # tensors checked, metadata only range-checked


def shipped_dir() -> Path:
    """The folder holding the weights that ship with the package (the repository's ``weights/``)."""
    return Path(str(resources.files("scnn_plugin.shipped_weights")))


def finetuned_dir() -> Path:
    """Where fine-tuned weights are published (per user); the window lists it beside the shipped."""
    return Path(platformdirs.user_data_dir("scnn-inpaint")) / "finetuned"


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


def load_weights(path: Path, device: str | torch.device = "cpu") -> tuple[InpaintNet, WeightsInfo]:
    """Build the model the file names, load it strictly, and return it in eval mode with its info.

    Order matters: the header alone (metadata, tensor names and shapes) is checked first, against a
    model built on the ``meta`` device, which allocates nothing; only a file that describes exactly
    that model has its tensors read, verified and loaded. A file claiming a huge model is refused
    in one line without allocating it.
    """
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:  # one parse: header + tensors
            meta = f.metadata() or {}
            info = _read_info(path, meta)
            shapes = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}  # noqa: SIM118
            _check_shapes(path, info, shapes)
            state = {name: f.get_tensor(name) for name in shapes}
    except (SafetensorError, OSError, ValueError, UnicodeDecodeError) as err:
        raise WeightsError(f"{path} is not a readable safetensors weights file ({err})") from None
    if tensors_digest(state) != info.tensors_sha256:
        raise WeightsError(f"{path} fails its checksum: the file was modified or is corrupt")
    bad = [n for n, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise WeightsError(f"{path} contains NaN or infinite values in {', '.join(bad[:3])}")
    try:
        model = build_model(info.config, **info.model_kwargs)
        model.load_state_dict(state, strict=True)
    except (ValueError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0]
        raise WeightsError(f"{path} does not fit model config {info.config!r}: {first}") from None
    return model.to(device).eval(), info


# What a weights file may ask the builders for: argument -> (kind, low, high). Sizes are bounded so a
# damaged or hostile file cannot ask for a model that fills memory; tests/test_weights.py checks
# that every builder argument is listed here.
_INT, _INTS, _BOOL, _NAME = "int", "ints", "bool", "name"
MODEL_ARGUMENTS: dict[str, dict[str, tuple[str, int, int]]] = {
    "default": {
        "width": (_INT, 1, 256),
        "timesteps": (_INT, 1, 64),
        "dilations": (_INTS, 1, 64),
        "refine": (_INTS, 1, 64),
        "spiking": (_BOOL, 0, 1),
    },
    "paper": {
        "width": (_INT, 1, 512),
        "timesteps": (_INT, 1, 64),
    },
}
MAX_TIMESTEPS = 64
_MAX_LIST = 16  # entries in a list argument (dilations, refine)


def _read_info(path: Path, meta: dict[str, str]) -> WeightsInfo:
    """The metadata, digest-checked (format 2) and range-checked; one ``WeightsError`` line."""
    fmt = meta.get("format")
    if fmt not in (FORMAT, LEGACY_FORMAT):
        raise WeightsError(f"{path} is not an SC-NN Inpaint weights file (format {fmt!r})")
    if fmt == FORMAT and meta.get("digest") != metadata_digest(meta):
        raise WeightsError(f"{path} fails its checksum: the metadata was modified or is corrupt")
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
    except (KeyError, ValueError, RecursionError) as err:
        raise WeightsError(f"{path} has incomplete metadata ({err})") from None
    rules = MODEL_ARGUMENTS.get(info.config)
    if rules is None:
        raise WeightsError(
            f"{path} names an unknown model config {info.config!r}; known: {sorted(MODEL_ARGUMENTS)}"
        )
    if not 1 <= info.timesteps <= MAX_TIMESTEPS:
        raise WeightsError(
            f"{path} has invalid metadata: timesteps must be 1..{MAX_TIMESTEPS}, got {info.timesteps}"
        )
    if not isinstance(info.model_kwargs, dict) or not isinstance(info.training, dict):
        raise WeightsError(
            f"{path} has invalid metadata: model_kwargs and training must be objects"
        )
    for name, value in info.model_kwargs.items():
        problem = _argument_problem(rules.get(name), value)
        if problem:
            raise WeightsError(f"{path} has invalid metadata: model_kwargs {name!r} {problem}")
    return info


def _argument_problem(rule: tuple[str, int, int] | None, value: Any) -> str | None:
    if rule is None:
        return "is not an argument of this model"
    kind, lo, hi = rule
    if kind == _BOOL:
        return None if isinstance(value, bool) else "must be true or false"
    if kind == _NAME:
        ok = isinstance(value, str) and lo <= len(value) <= hi
        return None if ok else f"must be a name of {lo}..{hi} characters"

    def good(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    if kind == _INTS:
        ok = isinstance(value, list) and len(value) <= _MAX_LIST and all(map(good, value))
        return None if ok else f"must be a list of at most {_MAX_LIST} integers in {lo}..{hi}"
    return None if good(value) or value is None else f"must be an integer in {lo}..{hi}"


def _check_shapes(path: Path, info: WeightsInfo, shapes: dict[str, tuple[int, ...]]) -> None:
    """The file's tensors must be exactly the named model's, compared before anything is built."""
    try:
        with _SizesOnly():
            expected = build_model(info.config, **info.model_kwargs).state_dict()
    except (ValueError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0]
        raise WeightsError(f"{path} does not fit model config {info.config!r}: {first}") from None
    missing = sorted(set(expected) - set(shapes))
    extra = sorted(set(shapes) - set(expected))
    wrong = [n for n in expected if n in shapes and tuple(expected[n].shape) != shapes[n]]
    if missing or extra or wrong:
        what = (
            f"missing {missing[0]}"
            if missing
            else f"unexpected {extra[0]}"
            if extra
            else f"{wrong[0]} is {shapes[wrong[0]]} in the file, {tuple(expected[wrong[0]].shape)} "
            "in the model"
        )
        raise WeightsError(f"{path} does not fit model config {info.config!r}: {what}")


class _SizesOnly(TorchFunctionMode):
    """Tensors made from sizes (parameters, buffers) land on the ``meta`` device, which allocates
    nothing; tensors made from Python data (``torch.tensor(0.9)`` in a builder) stay real, so a
    builder may still compute with its constants. ``with torch.device("meta")`` alone breaks there.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _SIZED_CONSTRUCTORS and kwargs.get("device") is None:
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


_SIZED_CONSTRUCTORS = {
    torch.empty,
    torch.empty_strided,
    torch.zeros,
    torch.ones,
    torch.full,
    torch.rand,
    torch.randn,
    torch.randint,
    torch.arange,
    torch.linspace,
    torch.logspace,
    torch.eye,
}


def metadata_digest(meta: dict[str, str]) -> str:
    """sha256 over every metadata entry but the digest itself (which includes the tensors' digest),
    so no field (config, sizes, timesteps, training summary) can change unnoticed."""
    body = {k: v for k, v in meta.items() if k != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def save_weights(
    path: Path,
    model: InpaintNet,
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
        "timesteps": str(model.timesteps),
        "version": version,
        "tensors_sha256": digest,
        "training": json.dumps(training or {}),
    }
    meta["digest"] = metadata_digest(meta)
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=meta), exclusive=exclusive)
    return digest
