"""The configuration of Sanaullah et al. (NLDL 2024, arXiv 2407.08861), kept reproducible.

One SNNConv2d (LIF) layer followed by five ordinary convolutions; input is the masked RGB image plus the
mask, output is the whole RGB image, trained with MSE.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from ..snn import SNNConv2d
from .base import InpaintNet


class PaperNet(InpaintNet):
    """SNNConv2d(4 -> width) then five 3x3 convolutions down to RGB; ``[N,3,H,W]`` + ``[N,1,H,W]`` in."""

    multiple = 1  # no downsampling: any tile size works
    accepts_prior = False  # one window at a time, as in the paper
    adapt_modules = ("convs",)  # what adapt.py trains on the user's photo: all after the LIF layer

    def __init__(self, width: int = 64, timesteps: int = 4) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.snn = SNNConv2d(4, width, 3, timesteps=timesteps)
        chans = [width, width, width, width // 2, width // 2]
        layers: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise(chans):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True)]
        layers += [nn.Conv2d(chans[-1], 3, 3, padding=1), nn.Sigmoid()]
        self.convs = nn.Sequential(*layers)

    def forward(
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        timesteps: int | None = None,
        prior: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Return the full RGB prediction; ``prior`` is accepted and ignored (``accepts_prior``)."""
        x = torch.cat([image * (1 - mask), mask], dim=1)
        return self.convs(self.snn(x, timesteps))
