"""A run's files: ``checkpoint.pt`` (its latest state) and ``curve.csv`` (validation PSNR against
CPU-hours), both rewritten atomically, and the CPU-hours a weights file says went into it.

Killing the process at any moment leaves the last complete files; a damaged or foreign checkpoint is
refused in one line that says how to start again.
"""

from __future__ import annotations

import csv
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import atomic_write
from ..errors import WeightsError


def fresh_state(lineage: dict[str, float]) -> dict[str, Any]:
    """The state of a run that has taken no step: what ``read_checkpoint`` returns without a file.
    ``lineage`` is the steps and CPU-hours already in the weights it starts from."""
    return {
        "step": 0,
        "history": [],
        "cpu_seconds": 0.0,
        "train_seconds": 0.0,
        "best": None,
        "base": None,
        "lineage": lineage,
    }


def read_checkpoint(
    path: Path,
    config_name: str,
    model: nn.Module,
    ema: nn.Module,
    opt: torch.optim.Optimizer,
    lineage: dict[str, float],
) -> dict[str, Any]:
    """Load ``path`` into ``model``, ``ema`` and ``opt`` and return the run's counters (the keys of
    ``fresh_state``); ``fresh_state(lineage)`` when there is no checkpoint yet.

    Raises ``WeightsError`` for an unreadable or damaged file and ``ValueError`` for a checkpoint
    of another model config.
    """
    fresh = fresh_state(lineage)
    if not path.exists():
        return fresh
    # One line for the user: torch's own reasons run to a paragraph and suggest unsafe loading.
    damaged = WeightsError(
        f"{path} is unreadable (damaged, or not a checkpoint of this run); "
        "delete it to start the run again"
    )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as err:
        raise WeightsError(
            f"{path} is unreadable ({err.strerror or err}); delete it to start the run again"
        ) from None
    except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError):
        raise damaged from None
    if not isinstance(ckpt, dict):
        raise damaged
    if ckpt.get("config_name") != config_name:
        raise ValueError(f"{path} belongs to config {ckpt.get('config_name')!r}")
    try:
        model.load_state_dict(ckpt["model"])
        ema.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["optim"])
        optional = ("lineage", "train_seconds")  # absent from older runs' checkpoints
        state = {k: ckpt[k] for k in fresh if k not in optional}
        state["train_seconds"] = float(ckpt.get("train_seconds", 0.0))
    except (KeyError, RuntimeError, TypeError, ValueError):
        raise damaged from None
    # Fixed when the run started (the init file may since have been published over); a run
    # checkpointed before lineages were recorded takes the one its init file gives now.
    state["lineage"] = ckpt.get("lineage", lineage)
    return state


def write_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    """Save ``checkpoint`` (tensors, numbers, strings and lists only: it is loaded with
    ``weights_only``) to ``path`` atomically."""
    atomic_write(path, lambda tmp: torch.save(checkpoint, tmp))


def write_curve(path: Path, rows: list[dict[str, float]]) -> None:
    """``rows`` (one per validation) as CSV at ``path``, atomically; the columns are the last
    row's keys. Nothing is written for no rows."""
    if not rows:
        return
    keys = list(rows[-1])

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)

    atomic_write(path, write)


def cpu_hours_in(training: dict[str, Any]) -> float:
    """CPU-hours a weights file's training summary says went into it. A cycle trained on a GPU
    (the shipped ``default`` since issue 34) records steps but no CPU-hours: its CPU-hours are
    those of the weights it started from, so a later cycle's curve does not restart at zero."""
    if "cpu_hours" in training:
        return float(training["cpu_hours"])
    start = training.get("init")
    return float(start.get("cpu_hours", 0.0)) if isinstance(start, dict) else 0.0
