"""Surrogate gradients for the spike nonlinearity, chosen by a validated name.

The forward pass is a Heaviside step (spike when the shifted membrane is >= 0); the backward pass replaces
its zero-almost-everywhere derivative with a smooth stand-in so the network can be trained by backprop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


class _Spike(torch.autograd.Function):
    """The Heaviside forward every surrogate shares; subclasses give only the backward."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, alpha: float) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(v)
        ctx.alpha = alpha
        return (v >= 0).to(v.dtype)


class _FastSigmoid(_Spike):
    """SuperSpike surrogate (Zenke & Ganguli 2018): d spike / dv = 1 / (1 + alpha |v|)^2."""

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (v,) = ctx.saved_tensors
        return grad / (1.0 + ctx.alpha * v.abs()) ** 2, None


class _ArcTan(_Spike):
    """ArcTan surrogate (Fang et al. 2021): d spike / dv = alpha / 2 / (1 + (pi/2 alpha v)^2)."""

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        (v,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * (a / 2) / (1 + (math.pi / 2 * a * v) ** 2), None


SURROGATES: dict[str, tuple[type[_Spike], float]] = {
    "fast_sigmoid": (_FastSigmoid, 10.0),
    "arctan": (_ArcTan, 2.0),
}


def spike_fn(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return ``v -> spikes`` for surrogate ``name``; unknown names list the valid ones."""
    try:
        fn, alpha = SURROGATES[name]
    except KeyError:
        raise ValueError(
            f"unknown surrogate {name!r}; choose one of {sorted(SURROGATES)}"
        ) from None
    return lambda v: fn.apply(v, alpha)
