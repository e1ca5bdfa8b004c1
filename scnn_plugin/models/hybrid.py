"""The default hybrid: a small encoder-decoder with a spiking bottleneck, learning a residual over a fill.

Why this shape: on a laptop CPU every full-resolution channel costs, so full resolution carries only
``width`` (16) channels, and the spiking residual blocks run at 1/4 resolution, where dilations
1-2-4-8 see ~250 px of context. A few dilated full-resolution convolutions after the decoder
continue edges across thin strokes, which are 1-3 px wide at 1/4 resolution and invisible there.
The network starts from the membrane fill (``fill.py``) and its last layer is zero-initialised, so an
untrained network already equals the classical fill and training only has to add detail.
With ``spiking=False`` the LIF units become leaky ReLUs: the ablation that shows what the spikes
contribute. (Line blocks, a wider full-resolution path and a line-fill guide were tried and not
published; the model card keeps what they measured, git history at 4b541ab their code.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..fill import membrane_fill
from ..snn import SNNConv2d
from .base import InpaintNet

# Leaky activations everywhere outside the LIF units: with plain ReLUs the decoder died within a few
# hundred steps (every unit negative, no gradient), the network froze at its base fill, and the spiking
# bottleneck, cut off behind dead units, contributed exactly nothing.
_SLOPE = 0.2


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, _SLOPE)


class SpikingBlock(nn.Module):
    """Residual block: dilated SNNConv2d read out as spike rate, then a 1x1 mix back into the stream."""

    def __init__(self, channels: int, dilation: int, timesteps: int, spiking: bool) -> None:
        super().__init__()
        if spiking:
            self.body: nn.Module = SNNConv2d(
                channels, channels, 3, dilation=dilation, timesteps=timesteps, norm=True
            )
        else:
            self.body = nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
                nn.BatchNorm2d(channels),
                nn.LeakyReLU(_SLOPE),
            )
        self.mix = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, timesteps: int | None) -> torch.Tensor:
        y = self.body(x, timesteps) if isinstance(self.body, SNNConv2d) else self.body(x)
        return x + self.mix(y)


class HybridNet(InpaintNet):
    """Membrane fill + learned residual; image ``[N,3,H,W]``, mask ``[N,1,H,W]`` (1 = fill) in [0, 1]."""

    multiple = 4  # two stride-2 stages: tile sides must be multiples of 4
    accepts_prior = True  # takes an image-wide low-resolution fill for windows inside big holes
    # What adapt.py trains on the user's photo: the decoder and the full-resolution layers.
    adapt_modules = ("reduce2", "up2", "reduce1", "up1", "refine", "out")

    def __init__(
        self,
        width: int = 16,
        timesteps: int = 4,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        refine: tuple[int, ...] = (1, 2, 4),
        spiking: bool = True,
    ) -> None:
        super().__init__()
        w1, w2, w4 = width, 2 * width, 4 * width
        self.timesteps = timesteps
        self.stem = nn.Conv2d(5, w1, 3, padding=1)  # inputs: base fill, mask, known
        self.down1 = nn.Conv2d(w1, w2, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(w2, w4, 3, stride=2, padding=1)
        self.blocks = nn.ModuleList(SpikingBlock(w4, d, timesteps, spiking) for d in dilations)
        self.reduce2 = nn.Conv2d(w4, w2, 1)
        self.up2 = nn.Conv2d(w2, w2, 3, padding=1)
        self.reduce1 = nn.Conv2d(w2, w1, 1)
        self.up1 = nn.Conv2d(w1, w1, 3, padding=1)
        self.refine = nn.ModuleList(nn.Conv2d(w1, w1, 3, padding=d, dilation=d) for d in refine)
        self.out = nn.Conv2d(w1, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        timesteps: int | None = None,
        prior: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Return the full RGB prediction; ``prior`` is an image-wide low-resolution fill for deep holes."""
        known = 1 - mask
        base = membrane_fill(image, known, prior)
        x = torch.cat([base, mask, known], dim=1)
        s1 = _act(self.stem(x))
        s2 = _act(self.down1(s1))
        h = _act(self.down2(s2))
        for block in self.blocks:
            h = block(h, timesteps)
        h = F.interpolate(self.reduce2(h), size=s2.shape[-2:], mode="bilinear", align_corners=False)
        h = _act(self.up2(h + s2))
        h = F.interpolate(self.reduce1(h), size=s1.shape[-2:], mode="bilinear", align_corners=False)
        h = _act(self.up1(h + s1))
        for conv in self.refine:
            h = h + _act(conv(h))
        return (base + self.out(h)).clamp(0, 1)
