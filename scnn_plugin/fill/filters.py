"""The two image filters the fills share: a Gaussian blur (what splits structure from texture) and
luminance (texture is compared and copied as grain, not hue)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

_LUMA = (0.299, 0.587, 0.114)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian of ``x`` ``[N, C, H, W]``, edges replicated."""
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-t.square() / (2 * sigma * sigma))
    k = k / k.sum()
    c = x.shape[1]
    # channels-last: oneDNN's depthwise convolution is 2-4 times faster so, and equal to the bit
    x = F.pad(x, (r, r, r, r), mode="replicate").contiguous(memory_format=torch.channels_last)
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    x = F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return x.contiguous()


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """``[1, H, W]`` Rec. 601 luminance of ``rgb`` ``[3, H, W]``."""
    weights = torch.tensor(_LUMA, dtype=rgb.dtype, device=rgb.device).view(3, 1, 1)
    return (rgb * weights).sum(0, keepdim=True)
