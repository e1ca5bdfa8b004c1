"""Training losses by name. ``mse`` is the paper's; ``hole`` is ours (``scnn_plugin/losses.py``)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..losses import hole_loss

Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def mse_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Whole-image MSE of the raw prediction, as in Sanaullah et al."""
    return torch.mean((pred - target) ** 2)


LOSSES: dict[str, Loss] = {"mse": mse_loss, "hole": hole_loss}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None
