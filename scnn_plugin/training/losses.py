"""Training losses. ``mse`` is the paper's; ``hole`` is ours: L1 + MSE + edge terms on the hole.

``hole-log`` averages the log of each sample's ``hole`` loss instead of the loss itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def mse_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Whole-image MSE of the raw prediction, as in Sanaullah et al."""
    return torch.mean((pred - target) ** 2)


def _hole_per_sample(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """L1 + MSE + image-gradient L1 of the composited result over each sample's hole: ``[N]``.

    Normalising each sample by its own hole (not the batch's) keeps thin and thick masks equally
    weighted: pooled over the batch, a 40 % box outweighed a 5 % scribble eight to one. The gradient
    term rewards edges that continue into the hole instead of a blur.
    """
    per_sample = (1, 2, 3)  # sum over channels and pixels, keep the batch axis
    comp = pred * hole + target * (1 - hole)
    area = hole.sum(per_sample).clamp_min(1.0) * pred.shape[1]
    diff = comp - target
    l1_mse = (diff.abs() + diff**2).sum(per_sample)
    gx = (diff[..., :, 1:] - diff[..., :, :-1]).abs().sum(per_sample)
    gy = (diff[..., 1:, :] - diff[..., :-1, :]).abs().sum(per_sample)
    return (l1_mse + 0.5 * (gx + gy)) / area


def hole_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """The batch mean of the per-sample hole loss."""
    return _hole_per_sample(pred, target, hole).mean()


# Floor under a sample's loss before the log: a hole in flat sky scores ~5e-3 against ~0.06 for a
# typical one, and without the floor would take over ten times its weight.
_LOG_FLOOR = 1e-2


def hole_log_loss(pred: torch.Tensor, target: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Batch mean of log(per-sample hole loss): what a mean of per-sample PSNRs rewards.

    Averaged linearly, a thick hole's large error drowns the small error of a thin scribble; in the
    log domain each sample's gradient is divided by its own loss, so a 10 % gain counts the same on
    either, as it does in the mean PSNR per mask kind that we report.
    """
    return torch.log(_hole_per_sample(pred, target, hole) + _LOG_FLOOR).mean()


LOSSES: dict[str, Loss] = {"mse": mse_loss, "hole": hole_loss, "hole-log": hole_log_loss}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None
