"""Spiking layers built on the LIF module, and the one wrapper that runs plain layers over time."""

from __future__ import annotations

import torch
from torch import nn

from .lif import LIF


def fold_time(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a per-frame ``module`` to ``[T, N, ...]`` by folding T into the batch (one call, no loop)."""
    t, n = x.shape[:2]
    y = module(x.flatten(0, 1))
    return y.view(t, n, *y.shape[1:])


class SNNConv2d(nn.Module):
    """Convolution whose output drives LIF neurons over ``timesteps`` steps.

    Input is a static image ``[N, C, H, W]`` (direct encoding: the same current each step, so the
    convolution runs once) or a spike train ``[T, N, C, H, W]``. ``readout`` picks what comes out:
    ``"rate"`` (mean spikes, ``[N, C', H', W']``), ``"membrane"`` (mean membrane), or ``"spikes"``
    (the train ``[T, N, C', H', W']`` for a following spiking layer).
    ``norm`` puts a BatchNorm between convolution and neurons (threshold-dependent BN, Zheng et al.
    2021): it keeps input currents near the threshold, so the neurons fire from the first step instead
    of staying silent; at inference it is a fixed affine map, the same for every tile.
    """

    READOUTS = ("rate", "membrane", "spikes")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        timesteps: int = 4,
        readout: str = "rate",
        norm: bool = False,
        **lif_kwargs,
    ) -> None:
        super().__init__()
        if readout not in self.READOUTS:
            raise ValueError(f"unknown readout {readout!r}; choose one of {self.READOUTS}")
        if timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {timesteps}")
        pad = dilation * (kernel_size - 1) // 2
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, pad, dilation, bias=not norm)
        self.conv = nn.Sequential(conv, nn.BatchNorm2d(out_channels)) if norm else conv
        self.lif = LIF(out_channels, **lif_kwargs)
        self.timesteps = timesteps
        self.readout = readout

    def forward(self, x: torch.Tensor, timesteps: int | None = None) -> torch.Tensor:
        """``timesteps`` overrides the trained count for static input (speed vs. quality)."""
        if x.dim() == 4:
            current = self.conv(x)  # direct encoding: the same current every step
            steps = timesteps or self.timesteps
            currents = (current for _ in range(steps))
        elif x.dim() == 5:
            steps = x.shape[0]
            currents = iter(fold_time(self.conv, x))
        else:
            raise ValueError(f"SNNConv2d expects [N, C, H, W] or [T, N, C, H, W], got {tuple(x.shape)}")
        if self.readout == "spikes":
            spikes, _ = self.lif(torch.stack(list(currents)))
            return spikes
        # Rate and membrane read-outs only need running sums: no [T, ...] tensor is kept.
        v = total = None
        for c in currents:
            s, v = self.lif.step(c, torch.zeros_like(c) if v is None else v)
            out = s if self.readout == "rate" else v
            total = out if total is None else total + out
        return total / steps
