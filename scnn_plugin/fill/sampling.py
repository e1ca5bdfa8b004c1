"""The sampling area: which known pixels the completion may copy from.

A hole is filled from what borders it. Elsewhere in the picture lie other objects, and where the
network only guesses (a blend where two materials meet) one of them can fit its mean best: the
bundled demo's table got a fan of the astronaut's hair and a piece of her name badge. So, as
Photoshop's Content-Aware Fill samples "content similar to the surroundings" and GIMP's
Resynthesizer heals from a band around the selection, sources are the known pixels near the hole
whose colour its border shows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .filters import gaussian_blur
from .patch_match import valid_sources


def sampling_area(
    image: torch.Tensor,
    known: torch.Tensor,
    region: torch.Tensor,
    reach: int,
    bins: int,
    border: int,
    share: float,
) -> torch.Tensor:
    """``[H, W]`` bool: the ``known`` pixels of ``image`` (``[3, H, W]`` in [0, 1]) within
    ``reach`` px of ``region`` whose colour, in ``bins`` levels per channel give or take one, is
    at least ``share`` of the known pixels within ``border`` px of the hole (``~known``)."""
    # within reach px: a region pixel in the box around, by running sums (an erosion per px of
    # reach took longer than the rest of this function)
    near = known & ~valid_sources(~region, reach - 1)
    ring = known & ~valid_sources(known, border - 1)
    if not bool(ring.any()):
        return near
    # the colour of each pixel's neighbourhood, so that noise and single edge pixels count little
    level = (gaussian_blur(image[None], 1.0)[0] * bins).long().clamp(0, bins - 1)
    colour = (level[0] * bins + level[1]) * bins + level[2]
    counts = torch.bincount(colour[ring], minlength=bins**3).to(image.dtype)
    shown = (counts >= share * counts.sum()).to(image.dtype).view(1, 1, bins, bins, bins)
    shown = F.max_pool3d(shown, 3, 1, 1).flatten() > 0  # give or take one level
    return near & shown[colour]
