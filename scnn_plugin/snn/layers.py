"""The spiking convolution built on the LIF module."""

from __future__ import annotations

import torch
from torch import nn

from .lif import LIF


class SNNConv2d(nn.Module):
    """Convolution whose output drives LIF neurons over ``timesteps`` steps, read out as spike rate.

    Input is a static image ``[N, C, H, W]`` (direct encoding: the same current each step, so the
    convolution runs once); out comes the mean spike count ``[N, C', H', W']`` in [0, 1].
    ``norm`` puts a BatchNorm between convolution and neurons (threshold-dependent BN, Zheng et al.
    2021): it keeps input currents near the threshold, so the neurons fire from the first step instead
    of staying silent; at inference it is a fixed affine map, the same for every tile.
    (Membrane and spike-train read-outs, which only tests used, were removed; git history at
    4b541ab has them.)
    """

    readout = "rate"  # what the spike meter (evaluation/scoring.py) reads: the only read-out
    READOUTS = ("rate",)

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
        conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, pad, dilation, bias=not norm
        )
        self.conv = nn.Sequential(conv, nn.BatchNorm2d(out_channels)) if norm else conv
        self.lif = LIF(out_channels, **lif_kwargs)
        self.timesteps = timesteps

    def forward(self, x: torch.Tensor, timesteps: int | None = None) -> torch.Tensor:
        """``timesteps`` overrides the trained count (speed vs. quality)."""
        if x.dim() != 4:
            raise ValueError(f"SNNConv2d expects [N, C, H, W], got {tuple(x.shape)}")
        current = self.conv(x)  # direct encoding: the same current every step
        steps = timesteps or self.timesteps
        # Only a running sum of spikes: no [T, ...] tensor is kept.
        v = torch.zeros_like(current)
        total = None
        for _ in range(steps):
            s, v = self.lif.step(current, v)
            total = s if total is None else total + s
        return total / steps
