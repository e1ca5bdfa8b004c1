"""The model a run starts from: built fresh, continued from ``init`` weights, or widened from
narrower ``widen_from`` weights (``widen.py``), with the steps and CPU-hours already in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from ..models import build_model
from ..weights import load_weights
from .checkpoints import cpu_hours_in
from .config import TrainConfig
from .widen import widen


def initial_model(cfg: TrainConfig) -> tuple[nn.Module, dict[str, Any], dict[str, float]]:
    """The model to train, its builder arguments, and the steps / CPU-hours already in it."""
    start = cfg.init if cfg.init is not None else cfg.widen_from
    if start is not None:
        model, info = load_weights(Path(start))
        flag = "--init" if cfg.init is not None else "--widen-from"
        if info.config != cfg.config:
            raise ValueError(f"{flag} weights are config {info.config!r}, not {cfg.config!r}")
        lineage = {
            "steps": int(info.training.get("steps", 0)),
            "cpu_hours": cpu_hours_in(info.training),
        }
        if cfg.widen_from is not None:
            kwargs = {**info.model_kwargs, **cfg.model_kwargs}
            if kwargs == info.model_kwargs:
                raise ValueError(
                    "--widen-from needs --model-kwargs that make the network wider, "
                    "e.g. '{\"width\": 32}'"
                )
            return widen(model, build_model(cfg.config, **kwargs)), kwargs, lineage
        if cfg.model_kwargs and cfg.model_kwargs != info.model_kwargs:
            raise ValueError(
                f"--init weights were built with model arguments {info.model_kwargs}, not "
                f"{cfg.model_kwargs}; leave --model-kwargs out to continue them"
            )
        return model, info.model_kwargs, lineage
    model = build_model(cfg.config, **cfg.model_kwargs)
    return model, dict(cfg.model_kwargs), {"steps": 0, "cpu_hours": 0.0}
