"""Membrane (harmonic) hole filling: the smoothest surface through the hole's border.

~0.03 s for a 512 px image on two CPU threads.

The hybrid model learns a residual on top of it, so it starts at classical quality instead of far below.
It solves Laplace's equation on the hole pixels (known pixels are the boundary condition) coarse to fine:
each level of a mask-weighted pyramid is initialised from the level below and refined by a few
conjugate-gradient steps, so the slow low frequencies are settled where they are cheap. On 512 px
held-out photos it scores 0.8-0.9 dB above a plain push-pull pyramid fill (`weights/README.md`).
Pure tensor code with no parameters, shared by training and inference so both see the same input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Pyramid level whose known-pixel support decides between the local fill and an image-wide prior:
# 2**4 = 16 px cells, i.e. a hole pixel farther than ~32 px from anything known counts as "deep".
_SUPPORT_LEVEL = 4
# Conjugate-gradient steps per pyramid level: 4 reach within 0.1 dB of the converged solution.
_CG_STEPS = 4


def membrane_fill(
    image: torch.Tensor, known: torch.Tensor, prior: torch.Tensor | None = None
) -> torch.Tensor:
    """Fill pixels where ``known`` is 0 with the harmonic interpolant of the pixels around them.

    ``image`` ``[N, C, H, W]``, ``known`` ``[N, 1, H, W]`` in [0, 1]. ``prior`` (``[N, C, h, w]``, any
    size, e.g. an image-wide fill at low resolution) takes over deep inside holes, where no known pixel
    of this window is near; without it a window with no known pixel at all becomes mid-grey.
    Known pixels are returned unchanged.
    """
    levels = _pyramid(image * known, known)
    x: torch.Tensor | None = None
    for img, w in reversed(levels):
        fixed = (w > 1e-6).to(img.dtype)
        value = img / w.clamp_min(1e-6)
        if x is None:
            total = w.sum((2, 3), keepdim=True)
            mean = img.sum((2, 3), keepdim=True) / total.clamp_min(1e-6)
            init = torch.where(total > 1e-6, mean, torch.full_like(mean, 0.5)).expand_as(value)
        else:
            init = F.interpolate(x, size=img.shape[-2:], mode="bilinear", align_corners=False)
        x = _solve_laplace(value * fixed + init * (1 - fixed), 1 - fixed)
    assert x is not None
    if prior is not None:
        support = levels[min(_SUPPORT_LEVEL, len(levels) - 1)][1]
        reach = F.interpolate((support * 8).clamp(max=1.0), size=image.shape[-2:], mode="bilinear")
        prior_up = F.interpolate(prior, size=image.shape[-2:], mode="bilinear", align_corners=False)
        x = reach * x + (1 - reach) * prior_up
    return image * known + x.clamp(0, 1) * (1 - known)


def _pyramid(img: torch.Tensor, w: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Known-weighted sums halved per level down to ~4 px: (image * known, known) pairs."""
    levels = [(img, w)]
    while min(img.shape[-2:]) > 4:
        size = ((img.shape[-2] + 1) // 2, (img.shape[-1] + 1) // 2)
        img, w = F.adaptive_avg_pool2d(img, size), F.adaptive_avg_pool2d(w, size)
        levels.append((img, w))
    return levels


def _solve_laplace(x: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """A few conjugate-gradient steps on -Laplace(x) = 0 over ``hole`` (Neumann at the image border).

    Each image and channel is its own system, so reductions run over the spatial axes only.
    """

    def apply(p: torch.Tensor) -> torch.Tensor:
        # Four shifted slices of the replicate-padded field: ~8x faster on the CPU than a 3x3
        # convolution with one input channel, which no convolution backend is tuned for.
        padded = F.pad(p, (1, 1, 1, 1), mode="replicate")
        vertical = padded[..., :-2, 1:-1] + padded[..., 2:, 1:-1]
        neighbours = vertical + padded[..., 1:-1, :-2] + padded[..., 1:-1, 2:]
        return (4 * p - neighbours) * hole

    r = -apply(x)
    p = r
    rr = (r * r).sum((2, 3), keepdim=True)
    for _ in range(_CG_STEPS):
        ap = apply(p)
        alpha = rr / (p * ap).sum((2, 3), keepdim=True).clamp_min(1e-12)
        x = x + alpha * p
        r = r - alpha * ap
        rr_next = (r * r).sum((2, 3), keepdim=True)
        p = r + (rr_next / rr.clamp_min(1e-20)) * p
        rr = rr_next
    return x
