"""The photo's dominant self-similar shifts (He and Sun, *Statistics of Patch Offsets for Image
Completion*, ECCV 2012): for the known pixels around a hole, the shift to their best match
elsewhere in the photo, counted. A wall's shifts are its courses, a railing's its posts; the
completion tries them for every hole pixel, so such structure continues across the hole."""

from __future__ import annotations

import torch

from .patch_match import feature_distance, refine_field

# Shifts shorter than this (px, along both axes) are a patch matching its own neighbourhood.
_MIN_SHIFT = 4


def dominant_offsets(
    sources: torch.Tensor,
    ring: torch.Tensor,
    generator: torch.Generator,
    steps: tuple[int, ...],
    count: int,
) -> torch.Tensor:
    """``[k <= count, 2]`` (dy, dx) px: the shifts under which the ``ring`` pixels (``[h, w]``
    bool, known ones around the hole) most often find their best match elsewhere, most frequent
    first. ``sources`` ``[h * w, d]`` are every pixel's patch features, the last column a charge
    for what a source patch lacks (0 where it is wholly known)."""
    h, w = int(ring.shape[0]), int(ring.shape[1])
    pixels = torch.nonzero(ring.flatten()).squeeze(1)
    if len(pixels) < 16:
        return torch.zeros(0, 2, dtype=torch.long, device=pixels.device)
    wanted = torch.cat([sources[pixels, :-1], sources.new_zeros(len(pixels), 1)], 1)
    py, px = pixels // w, pixels % w
    big = float(sources.shape[1]) * 100.0

    def distance(candidates: torch.Tensor) -> torch.Tensor:
        cost = feature_distance(sources, candidates, wanted)
        near_self = ((candidates // w - py).abs() < _MIN_SHIFT) & (
            (candidates % w - px).abs() < _MIN_SHIFT
        )
        return cost + big * near_self  # a patch matches itself and its neighbours: not those

    start = torch.randint(h * w, (len(pixels),), generator=generator, device=pixels.device)
    field = refine_field(start, pixels, distance, (h, w), 3, steps, max(h, w) // 2, generator)
    shift = torch.stack([field // w - py, field % w - px], 1)
    shift = shift[(shift.abs() >= _MIN_SHIFT).any(1)]
    if not len(shift):
        return shift
    values, counts = shift.unique(dim=0, return_counts=True)
    return values[counts.argsort(descending=True, stable=True)[:count]]
