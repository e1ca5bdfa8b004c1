"""Push-pull (pyramid) hole filling: a classical fill that costs milliseconds.

The hybrid model learns a residual on top of it, so it starts at classical quality instead of far below.
Pure tensor code with no parameters, shared by training and inference so both see the same input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Pyramid level whose known-pixel support decides between the local fill and an image-wide prior:
# 2**4 = 16 px cells, i.e. a hole pixel farther than ~32 px from anything known counts as "deep".
_SUPPORT_LEVEL = 4


def push_pull_fill(
    image: torch.Tensor, known: torch.Tensor, prior: torch.Tensor | None = None
) -> torch.Tensor:
    """Fill pixels where ``known`` is 0 from a mask-weighted image pyramid.

    ``image`` ``[N, C, H, W]``, ``known`` ``[N, 1, H, W]`` in [0, 1]. Pull: average known pixels down to 1x1,
    weighting by ``known``. Push: walk back up, at each level keeping what is known and taking the rest
    from the smoother level below. ``prior`` (``[N, C, h, w]``, any size, e.g. an image-wide fill at low
    resolution) takes over deep inside holes, where no known pixel of this window is near; without it a
    window with no known pixel at all becomes mid-grey. Known pixels are returned unchanged.
    """
    levels: list[tuple[torch.Tensor, torch.Tensor]] = []
    img, w = image * known, known
    while True:
        levels.append((img, w))
        if img.shape[-2:] == (1, 1):
            break
        size = ((img.shape[-2] + 1) // 2, (img.shape[-1] + 1) // 2)
        img, w = F.adaptive_avg_pool2d(img, size), F.adaptive_avg_pool2d(w, size)
    img, w = levels[-1]
    coarse = torch.where(w > 1e-8, img / w.clamp_min(1e-8), torch.full_like(img, 0.5))
    for img, w in reversed(levels[:-1]):
        up = F.interpolate(coarse, size=img.shape[-2:], mode="bilinear", align_corners=False)
        alpha = (w * 4).clamp(max=1.0)  # a cell with >= 25 % known support trusts its own average
        coarse = alpha * (img / w.clamp_min(1e-8)) + (1 - alpha) * up
    if prior is not None:
        support = levels[min(_SUPPORT_LEVEL, len(levels) - 1)][1]
        reach = F.interpolate((support * 8).clamp(max=1.0), size=image.shape[-2:], mode="bilinear")
        prior_up = F.interpolate(prior, size=image.shape[-2:], mode="bilinear", align_corners=False)
        coarse = reach * coarse + (1 - reach) * prior_up
    return image * known + coarse * (1 - known)
