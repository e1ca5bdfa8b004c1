"""Which compute devices exist and how a device name is resolved."""

from __future__ import annotations

import torch

from .errors import DeviceError


def available_devices() -> list[str]:
    """Device names a user can pick: ``auto``, ``cpu``, then each CUDA GPU and MPS when present."""
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def describe_device(device: torch.device) -> str:
    """Human-readable name for status bars: "CPU (1 thread)", "CPU (2 threads)" or the GPU's
    model name."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} ({device})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"CPU ({threads} thread{'s' if threads != 1 else ''})"
    return str(device)


def cpu_threads() -> int:
    """Threads torch runs CPU work on in this process (what a CPU time estimate scales with)."""
    return torch.get_num_threads()


def runs_on_accelerator(name: str) -> bool:
    """Whether device name ``name`` would run on a GPU (CUDA or MPS) here; False for a name that
    does not resolve (the run itself then reports why)."""
    try:
        return resolve_device(name).type in ("cuda", "mps")
    except DeviceError:
        return False


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; anything else must exist here."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise _device_error(f"unknown device {name!r}") from None
    if device.type == "cuda":
        index = device.index or 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise _device_error(f"device {name!r} is not available")
    elif device.type == "mps" and "mps" not in available_devices():
        raise _device_error("device 'mps' is not available")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise _device_error(f"unsupported device {name!r}")
    return device


def _device_error(problem: str) -> DeviceError:
    return DeviceError(f"{problem}; available: {', '.join(available_devices())}")
