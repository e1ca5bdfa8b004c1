"""What the engine, adaptation, trainer and weights may rely on in every network: one contract.

Why a base class and not ``getattr(model, name, default)`` at each reader: a misspelt or missing
capability would silently switch a feature off (no prior, no adaptation, wrong padding). Here a
network that leaves one out fails when its class is defined.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn


class InpaintNet(nn.Module):
    """Image ``[N, 3, H, W]`` + mask ``[N, 1, H, W]`` (1 = fill) in [0, 1] -> RGB ``[N, 3, H, W]``."""

    multiple: ClassVar[int]  # tile sides must be multiples of this (the downsampling factor)
    accepts_prior: ClassVar[bool]  # forward takes ``prior=``: an image-wide fill for deep holes
    adapt_modules: ClassVar[tuple[str, ...]]  # top-level children adapt.py trains on a photo
    timesteps: int  # LIF timesteps trained with; ``forward(timesteps=None)`` uses it

    _CAPABILITIES = ("multiple", "accepts_prior", "adapt_modules")

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in cls._CAPABILITIES if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"{cls.__name__} must declare {', '.join(missing)} (InpaintNet)")

    def forward(  # the signature every network keeps; subclasses without a prior ignore it
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        timesteps: int | None = None,
        prior: torch.Tensor | None = None,
    ) -> torch.Tensor:
        raise NotImplementedError
