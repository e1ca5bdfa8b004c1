"""Name -> builder registry: one contract for every configuration the weights can name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import InpaintNet
from .hybrid import HybridNet
from .paper import PaperNet

MODELS: dict[str, Callable[..., InpaintNet]] = {
    "default": HybridNet,
    "paper": PaperNet,
}


def build_model(name: str, **kwargs: Any) -> InpaintNet:
    """Build configuration ``name``; unknown names fail listing the known ones."""
    try:
        builder = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model config {name!r}; known: {sorted(MODELS)}") from None
    return builder(**kwargs)


__all__ = ["MODELS", "HybridNet", "InpaintNet", "PaperNet", "build_model"]
