"""Leaky integrate-and-fire neurons: a pure step function and a thin module that runs it over time.

Dynamics per timestep t (reset by subtraction):
    v[t]  = beta * v[t-1] + x[t]
    s[t]  = H(v[t] - threshold)          (surrogate gradient in backward)
    v[t] <- v[t] - s[t] * threshold
The reset term is detached from the graph (``detach_reset``), the one policy used everywhere: it keeps the
gradient path through the leak and avoids the unstable feedback through the reset.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .surrogate import spike_fn


def lif_step(
    x: torch.Tensor,
    v: torch.Tensor,
    beta: torch.Tensor,
    threshold: torch.Tensor,
    spike: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    """One LIF timestep: input current ``x`` and membrane ``v`` -> (spikes, new membrane).

    Side-effect free; ``beta`` in (0, 1) and ``threshold`` > 0 broadcast against ``x``.
    """
    v = beta * v + x
    s = spike(v - threshold)
    v = v - s.detach() * threshold
    return s, v


class LIF(nn.Module):
    """LIF neurons over ``[T, N, C, H, W]`` input currents; state is born at rest on every forward.

    ``beta`` and ``threshold`` are learnable per channel when ``learnable`` (stored through a logit and a
    softplus so they stay in range). Returns spikes ``[T, N, C, H, W]`` and the membrane trace.
    """

    def __init__(
        self,
        channels: int,
        beta: float = 0.9,
        threshold: float = 1.0,
        surrogate: str = "fast_sigmoid",
        learnable: bool = True,
    ) -> None:
        super().__init__()
        if not 0.0 < beta < 1.0:
            raise ValueError(f"beta must be in (0, 1), got {beta}")
        if threshold <= 0.0:
            raise ValueError(f"threshold must be > 0, got {threshold}")
        self.surrogate = surrogate
        self._spike = spike_fn(surrogate)
        beta_logit = torch.full((channels,), float(torch.logit(torch.tensor(beta))))
        thr_raw = torch.full((channels,), float(torch.log(torch.expm1(torch.tensor(threshold)))))
        self.beta_logit = nn.Parameter(beta_logit, requires_grad=learnable)
        self.threshold_raw = nn.Parameter(thr_raw, requires_grad=learnable)

    @property
    def beta(self) -> torch.Tensor:
        return torch.sigmoid(self.beta_logit)

    @property
    def threshold(self) -> torch.Tensor:
        return nn.functional.softplus(self.threshold_raw)

    def step(self, x: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One timestep with this module's parameters; ``x``, ``v`` are ``[N, C, H, W]``."""
        shape = (1, -1, 1, 1)
        return lif_step(x, v, self.beta.view(shape), self.threshold.view(shape), self._spike)

    def forward(self, currents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if currents.dim() != 5:
            raise ValueError(f"LIF expects [T, N, C, H, W], got shape {tuple(currents.shape)}")
        v = torch.zeros_like(currents[0])
        spikes, membrane = [], []
        for x in currents:
            s, v = self.step(x, v)
            spikes.append(s)
            membrane.append(v)
        return torch.stack(spikes), torch.stack(membrane)
