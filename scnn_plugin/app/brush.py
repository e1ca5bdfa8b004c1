"""Round-brush geometry on a mask array: pure numpy, so strokes are tested without any widget."""

from __future__ import annotations

import math

import numpy as np

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in image pixels, x1/y1 exclusive


def stamp_segment(
    mask: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    radius: float,
    value: int,
) -> Box | None:
    """Set every pixel of ``mask`` whose centre lies within ``radius`` of segment p0-p1 to ``value``.

    ``mask`` is ``[H, W]`` uint8, changed in place; points are (x, y) in image pixels, pixel (i, j)
    having its centre at (j + 0.5, i + 0.5). A whole stroke is a chain of segments, so a fast
    drag leaves a continuous line rather than separate dabs. Returns the box that may have changed,
    or ``None`` when the segment misses the mask entirely.
    """
    height, width = mask.shape
    (ax, ay), (bx, by) = p0, p1
    x0 = max(0, int(np.floor(min(ax, bx) - radius)))
    y0 = max(0, int(np.floor(min(ay, by) - radius)))
    x1 = min(width, int(np.ceil(max(ax, bx) + radius)) + 1)
    y1 = min(height, int(np.ceil(max(ay, by) + radius)) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    px = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    py = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    # Projection of each pixel centre onto the segment, clamped to its ends.
    t = np.zeros(1, np.float32) if length2 == 0 else ((px - ax) * dx + (py - ay) * dy) / length2
    t = np.clip(t, 0.0, 1.0)
    dist2 = (px - (ax + t * dx)) ** 2 + (py - (ay + t * dy)) ** 2
    hit = dist2 <= radius * radius
    if not hit.any():
        return None
    mask[y0:y1, x0:x1][hit] = value
    return x0, y0, x1, y1


SLIDER_STEPS = 1000  # positions of the brush-size slider


def size_to_position(size: float, sizes: tuple[int, int]) -> int:
    """Slider position of brush diameter ``size``: logarithmic, so small brushes get room too.

    Why not linear: over 1-500 px a 160 px slider moves ~3 px per screen pixel, which makes
    the 2-20 px sizes used for wires and cracks nearly impossible to pick.
    """
    lo, hi = sizes
    size = min(max(size, lo), hi)
    return round(SLIDER_STEPS * math.log(size / lo) / math.log(hi / lo))


def position_to_size(position: int, sizes: tuple[int, int]) -> int:
    """Brush diameter at slider ``position`` (inverse of ``size_to_position``, rounded to a pixel)."""
    lo, hi = sizes
    fraction = min(max(position, 0), SLIDER_STEPS) / SLIDER_STEPS
    return min(max(round(lo * (hi / lo) ** fraction), lo), hi)
