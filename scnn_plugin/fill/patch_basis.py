"""Patches as coordinates along a fixed cosine basis: the completion compares 7x7 colour patches
by 40 numbers instead of 147. Natural patches' main axes are close to these low frequencies, and
the basis is orthonormal, so distances between features are distances between the patches'
projections."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F


@functools.cache
def cosine_basis(
    radius: int, luma_top: int, chroma_top: int, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """The cosine basis patches are compared in, as convolution weights ``[k, 3, side, side]``
    (k = 40 by default), orthonormal: distances between features are distances between the
    patches' projections. In an opponent colour space, the luminance's frequencies up to index
    sum ``luma_top``, each chroma's up to ``chroma_top``; lowest frequencies first."""
    n = 2 * radius + 1
    k = torch.arange(n, dtype=torch.float64)
    cosines = torch.cos(math.pi * (k[None] + 0.5) * k[:, None] / n) * math.sqrt(2 / n)
    cosines[0] /= math.sqrt(2)  # DCT-II, orthonormal rows
    colours = torch.tensor([[1.0, 1, 1], [1, -1, 0], [1, 1, -2]], dtype=torch.float64)
    colours /= colours.norm(dim=1, keepdim=True)  # luminance, red-green, yellow-blue
    axes = [
        (fy + fx, channel, torch.einsum("c,y,x->cyx", colours[channel], cosines[fy], cosines[fx]))
        for channel, top in ((0, luma_top), (1, chroma_top), (2, chroma_top))
        for fy in range(n)
        for fx in range(n)
        if fy + fx <= top
    ]
    axes.sort(key=lambda axis: axis[:2])
    return torch.stack([axis[2] for axis in axes]).to(device=device, dtype=dtype).contiguous()


def patch_features(
    image: torch.Tensor, basis: torch.Tensor, radius: int, pixels: torch.Tensor | None = None
) -> torch.Tensor:
    """Each pixel's patch of ``image`` ``[3, h, w]`` as its coordinates along ``basis``:
    ``[h * w, k]``, or for the flat indices ``pixels`` only, ``[len(pixels), k]``. One
    convolution, not a stack of shifted copies."""
    # channels-last: oneDNN's convolution is 2-3 times faster so, and equal to the bit
    padded = F.pad(image[None], (radius,) * 4, mode="replicate")
    padded = padded.contiguous(memory_format=torch.channels_last)
    if pixels is None:
        return F.conv2d(padded, basis)[0].flatten(1).t().contiguous()
    # only the box around ``pixels``: the search's targets are a small part of the crop
    w = image.shape[2]
    y, x = pixels // w, pixels % w
    y0, y1, x0, x1 = int(y.min()), int(y.max()) + 1, int(x.min()), int(x.max()) + 1
    part = padded[..., y0 : y1 + 2 * radius, x0 : x1 + 2 * radius]
    out = F.conv2d(part, basis)[0].flatten(1)
    return out[:, (y - y0) * (x1 - x0) + (x - x0)].t().contiguous()
