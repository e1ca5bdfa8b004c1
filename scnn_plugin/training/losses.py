"""Training losses. ``mse`` is the paper's; ``hole`` is ours: L1 + MSE + edge terms on the filled region."""

from __future__ import annotations

from collections.abc import Callable

import torch

Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def mse_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Whole-image MSE of the raw prediction, as in Sanaullah et al."""
    return torch.mean((pred - target) ** 2)


def hole_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """L1 + MSE + image-gradient L1 of the composited result, normalised by hole area.

    Normalising by the hole (not the image) keeps thin and thick masks equally weighted; the gradient
    term rewards edges that continue into the hole instead of a blur.
    """
    comp = pred * hole + target * (1 - hole)
    area = hole.sum().clamp_min(1.0) * pred.shape[1]
    diff = comp - target
    l1 = diff.abs().sum() / area
    mse = (diff**2).sum() / area
    gx = (diff[..., :, 1:] - diff[..., :, :-1]).abs().sum()
    gy = (diff[..., 1:, :] - diff[..., :-1, :]).abs().sum()
    return l1 + mse + 0.5 * (gx + gy) / area


LOSSES: dict[str, Loss] = {"mse": mse_loss, "hole": hole_loss}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None
